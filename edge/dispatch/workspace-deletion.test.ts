import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { appendEventsCte, eventLogRows } from '../../db/event-log';
import { relations } from '../../db/relations';
import { queryRows } from '../../db/rows';
import { useNodeDispatch } from './test-node-dispatch';
import { consumeRuns, seedRunsAtCustomSend } from './test-seed';

/**
 * Deliveries have no foreign key to their workspace or run, and events none to their workspace
 * (a check per row a dispatch batch writes): deleting a workspace, a workflow or a contact must
 * still leave none of their rows behind, through the runs' trigger (deliveries) and the
 * workspaces trigger (events), also while a statement is appending to the workspace's log or
 * recording a delivery of the run. Runs the real dispatch consumer in Node against the test
 * Postgres and a real HTTP endpoint.
 */

const node = useNodeDispatch();
const { db, pool, cipher } = node;

const workspaceWithRuns = (count: number) =>
  seedRunsAtCustomSend({ db, cipher }, node.endpoint.url, count);

/** Resolves once the backend `pid` waits for a lock (a statement blocked by another's). */
async function waitUntilBlocked(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [row] = await queryRows<{ waiting: boolean }>(
      db,
      sql`select coalesce(wait_event_type = 'Lock', false) as waiting from pg_stat_activity
          where pid = ${pid}`,
    );
    if (row?.waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`backend ${pid} never waited for a lock`);
}

/**
 * Runs `hold` in an open transaction, then `deletion` on another connection, which must wait
 * for that transaction; commits it and waits for the delete to finish.
 */
async function deleteWhileHeld(
  hold: (client: pg.PoolClient) => Promise<void>,
  deletion: string,
  params: unknown[],
): Promise<void> {
  const holder = await pool.connect();
  const deleter = await pool.connect();
  try {
    await holder.query('begin');
    await hold(holder);
    const { rows } = await deleter.query<{ pid: number }>('select pg_backend_pid() as pid');
    const deleted = deleter.query(deletion, params);
    await waitUntilBlocked(rows[0]!.pid);
    await holder.query('commit');
    await deleted;
  } finally {
    holder.release();
    deleter.release();
  }
}

describe('deleting a workspace', () => {
  it("leaves nothing of a deleted workspace: its runs, deliveries and events go with it, another's stay", async () => {
    const gone = await workspaceWithRuns(2);
    const kept = await workspaceWithRuns(1);
    await consumeRuns({ db, cipher }, gone.runIds);
    await consumeRuns({ db, cipher }, kept.runIds);
    const left = async (workspaceId: string) => {
      const [row] = await queryRows<{ runs: number; deliveries: number; events: number }>(
        db,
        sql`select (select count(*) from runs where workspace_id = ${workspaceId}::uuid)::int as runs,
                   (select count(*) from deliveries where workspace_id = ${workspaceId}::uuid)::int as deliveries,
                   (select count(*) from ${eventLogRows(sql`${workspaceId}::uuid`)} e)::int as events`,
      );
      return row;
    };
    expect(await left(gone.workspaceId)).toEqual({ runs: 2, deliveries: 2, events: 6 });

    // A statement appending to the workspace's log is still open when the workspace is deleted:
    // the delete waits for it, and its events are deleted too, not left behind.
    await deleteWhileHeld(
      async (appender) => {
        const append = sql`with source as (
            select ${gone.workspaceId}::uuid as workspace_id, 1 as seq, 'run.exited' as type,
                   '{}'::jsonb as data, null::uuid as workflow_id, null::uuid as run_id,
                   null::uuid as contact_id, null::uuid as channel_id, null::uuid as delivery_id
          ),
          ${appendEventsCte('source', 'logged')}
          select count(*)::int as appended from logged`;
        const query = drizzle({ client: appender, relations }).execute(append);
        expect(((await query) as unknown as { rows: { appended: number }[] }).rows).toEqual([
          { appended: 1 },
        ]);
      },
      'delete from workspaces where id = $1',
      [gone.workspaceId],
    );

    expect(await left(gone.workspaceId)).toEqual({ runs: 0, deliveries: 0, events: 0 });
    expect(await left(kept.workspaceId)).toEqual({ runs: 1, deliveries: 1, events: 3 });
  });

  it("deleting a contact or a workflow deletes their runs' deliveries, one recorded meanwhile too", async () => {
    const { workspaceId, workflowId, runIds } = await workspaceWithRuns(3);
    const other = await workspaceWithRuns(1);
    await consumeRuns({ db, cipher }, [...runIds, ...other.runIds]);
    const deliveriesOf = async (ids: readonly string[]) => {
      const [row] = await queryRows<{ count: number }>(
        db,
        sql`select count(*)::int as count from deliveries
            where run_id = any(${sql.param([...ids])}::uuid[])`,
      );
      return row!.count;
    };
    expect(await deliveriesOf(runIds)).toBe(3);
    const [first] = await queryRows<{ contact_id: string; step_id: string }>(
      db,
      sql`select r.contact_id, d.step_id from runs r join deliveries d on d.run_id = r.id
          where r.id = ${runIds[0]}::uuid`,
    );

    // A statement inserting a delivery of the contact's run holds the run's row lock, as the
    // record and the dead letter's do: the delete waits for it, then deletes that row too.
    await deleteWhileHeld(
      async (recorder) => {
        await recorder.query('update runs set updated_at = now() where id = $1', [runIds[0]]);
        await recorder.query(
          `insert into deliveries (workspace_id, run_id, step_id, visit, status)
           values ($1, $2, $3, 2, 'failed')`,
          [workspaceId, runIds[0], first!.step_id],
        );
      },
      'delete from contacts where id = $1',
      [first!.contact_id],
    );
    expect(await deliveriesOf(runIds.slice(0, 1))).toBe(0);
    expect(await deliveriesOf(runIds.slice(1))).toBe(2);

    await db.execute(sql`delete from workflows where id = ${workflowId}::uuid`);
    expect(await deliveriesOf(runIds)).toBe(0);
    expect(await deliveriesOf(other.runIds)).toBe(1);
  });
});
