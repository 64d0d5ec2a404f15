import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Database } from '../../db/client';
import { relations } from '../../db/relations';
import { queryRows } from '../../db/rows';

/** What Postgres itself spent on a phase's statements, from their EXPLAIN ANALYZE. */
export interface ExplainedTime {
  statements: number;
  planningMs: number;
  /** Includes the time of the triggers the statements fired (foreign keys, revisions). */
  executionMs: number;
  /** Shared buffers the statements touched (hit or read). */
  buffers: number;
  /** WAL the statements wrote: bytes, and full-page images among them. */
  walBytes: number;
  walFullPages: number;
  /** Each statement's plan, one line per node (`Index Scan using runs_pkey on runs, 100 rows`). */
  plans: string[][];
}

/** One node of an EXPLAIN (FORMAT JSON) plan, the fields printed here. */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'WAL Bytes'?: number;
  'WAL FPI'?: number;
  Plans?: PlanNode[];
}

interface JsonPlan {
  Plan: PlanNode;
  'Planning Time': number;
  'Execution Time': number;
  Triggers?: { 'Trigger Name': string; Calls: number; Time?: number }[];
}

/** The plan's scans, modifications and triggers, one line each, with rows and buffers. */
function planLines(plan: JsonPlan): string[] {
  const lines: string[] = [];
  const visit = (node: PlanNode, depth: number) => {
    const type = node['Node Type'];
    if (/Scan|Insert|Update|Delete|ModifyTable|Lock/.test(type) && !/CTE|Function/.test(type)) {
      const on = node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
      const using = node['Index Name'] ? ` using ${node['Index Name']}` : '';
      const rows = (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1);
      const buffers = `hit ${node['Shared Hit Blocks'] ?? 0} read ${node['Shared Read Blocks'] ?? 0}`;
      lines.push(`${'  '.repeat(depth)}${type}${using}${on}: ${rows} rows, buffers ${buffers}`);
    }
    for (const child of node.Plans ?? []) visit(child, depth + 1);
  };
  visit(plan.Plan, 0);
  for (const trigger of plan.Triggers ?? []) {
    const time = trigger.Time === undefined ? '' : `, ${trigger.Time.toFixed(2)} ms`;
    lines.push(`trigger ${trigger['Trigger Name']}: ${trigger.Calls} calls${time}`);
  }
  lines.push(
    `planning ${plan['Planning Time'].toFixed(2)} ms, execution ${plan['Execution Time'].toFixed(2)} ms, WAL ${plan.Plan['WAL Bytes'] ?? 0} bytes (${plan.Plan['WAL FPI'] ?? 0} full pages)`,
  );
  return lines;
}

/**
 * A Drizzle database on one connection whose every statement first runs under
 * `EXPLAIN (ANALYZE, BUFFERS, WAL, TIMING OFF, FORMAT JSON)` in a transaction that is rolled back,
 * then for real (in its own transaction, as in production). The plan's planning and execution
 * times are the server's own time for the statement, without the round trip and the client's
 * parsing. `TIMING OFF` keeps the per-node clock reads out of the figure.
 */
export async function explainedDatabase(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const empty = (): ExplainedTime => ({
    statements: 0,
    planningMs: 0,
    executionMs: 0,
    buffers: 0,
    walBytes: 0,
    walFullPages: 0,
    plans: [],
  });
  let time = empty();
  const add = (plan: JsonPlan) => {
    time.statements++;
    time.planningMs += plan['Planning Time'];
    time.executionMs += plan['Execution Time'];
    time.buffers += (plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0);
    time.walBytes += plan.Plan['WAL Bytes'] ?? 0;
    time.walFullPages += plan.Plan['WAL FPI'] ?? 0;
    time.plans.push(planLines(plan));
  };
  /** Whether auto_explain is loaded and set on this connection, or could not be. */
  let autoExplain: 'not yet' | 'on' | 'refused' = 'not yet';
  /**
   * A named statement (db/rows.ts, queryPreparedRows) is explained as it runs, by auto_explain
   * (its plan sent back as a notice): EXPLAIN ANALYZE of its text would plan it afresh, and
   * EXPLAIN EXECUTE of a prepared copy counts the parameters' parsing as planning. Its plan is
   * the connection's cached one, so its planning time is what looking that up costs: none.
   */
  const explainAsItRuns = async (config: pg.QueryConfig, values?: unknown[]) => {
    if (autoExplain === 'not yet') {
      try {
        await client.query(`load 'auto_explain'`);
        for (const setting of [
          'log_analyze = on',
          'log_buffers = on',
          'log_wal = on',
          'log_timing = off',
          'log_triggers = on',
          'log_format = json',
          'log_level = notice',
          'log_min_duration = -1',
        ]) {
          await client.query(`set auto_explain.${setting}`);
        }
        autoExplain = 'on';
      } catch (error) {
        // Not a superuser on BENCH_POSTGRES_URL's server, or no contrib: EXPLAIN the text,
        // which plans it afresh (its planning time counted, as for an unprepared statement).
        console.warn(
          `  auto_explain unavailable (${(error as Error).message}): prepared statements are explained as unprepared ones`,
        );
        autoExplain = 'refused';
      }
    }
    if (autoExplain === 'refused') {
      return explainText({ ...config, name: undefined }, values, () =>
        client.query(config, values),
      );
    }
    const notices: string[] = [];
    const onNotice = (notice: { message?: string }) => notices.push(notice.message ?? '');
    client.on('notice', onNotice);
    await client.query('set auto_explain.log_min_duration = 0');
    try {
      return await client.query(config, values);
    } finally {
      await client.query('set auto_explain.log_min_duration = -1');
      client.off('notice', onNotice);
      // "duration: 5.123 ms  plan:\n{…}": the executor's time, triggers included.
      const logged = notices.find((message) => message.startsWith('duration:'));
      if (logged) {
        const duration = Number(/^duration: ([\d.]+) ms/.exec(logged)?.[1]);
        const plan = JSON.parse(logged.slice(logged.indexOf('{'))) as JsonPlan;
        add({ ...plan, 'Planning Time': 0, 'Execution Time': duration });
      }
    }
  };
  /** EXPLAIN ANALYZE of the statement's text in a rolled-back transaction, then `run` it. */
  async function explainText<R>(
    config: pg.QueryConfig,
    values: unknown[] | undefined,
    run: () => Promise<R>,
  ) {
    await client.query('begin');
    try {
      const result = await client.query<{ 'QUERY PLAN': JsonPlan[] }>(
        `explain (analyze, buffers, wal, timing off, format json) ${config.text}`,
        values,
      );
      const plan = result.rows[0]?.['QUERY PLAN'][0];
      if (plan) add(plan);
    } finally {
      await client.query('rollback');
    }
    return run();
  }
  const explained = {
    async query(config: pg.QueryConfig, values?: unknown[]) {
      if (config.name) return explainAsItRuns(config, values);
      return explainText(config, values, () => client.query(config, values));
    },
  };
  const db = drizzle({ client: explained as unknown as pg.Pool, relations }) as unknown as Database;
  return {
    db,
    /** The time since the last call; counting starts again. */
    take(): ExplainedTime {
      const taken = time;
      time = empty();
      return taken;
    },
    close: () => client.end(),
  };
}

/** CPU time of one Postgres backend: on the CPU, and waiting for one (runnable), in ms. */
export interface BackendCpu {
  cpuMs: number;
  waitMs: number;
}

/**
 * Reads a Postgres backend's scheduler counters (`/proc/<pid>/schedstat`: nanoseconds on the
 * CPU, nanoseconds runnable but waiting, timeslices) when Postgres runs on this machine. The
 * CPU time is what the statements cost the server whatever else runs; the wait is what a busy
 * machine adds to the wall time. Null when the backend's counters are not readable here (a
 * remote server, another OS).
 */
export async function backendCpuReader(db: Database): Promise<(() => BackendCpu) | null> {
  const [row] = await queryRows<{ pid: number }>(db, sql`select pg_backend_pid() as pid`);
  const path = `/proc/${row?.pid}/schedstat`;
  const read = (): BackendCpu => {
    const [cpuNs = 0, waitNs = 0] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    return { cpuMs: cpuNs / 1e6, waitMs: waitNs / 1e6 };
  };
  try {
    read();
    return read;
  } catch {
    return null;
  }
}
