import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createNodePostgres } from './drivers/node-postgres';
import {
  appendEventsCte,
  appendWorkspaceBatchesCte,
  EVENTS_PER_BATCH,
  type EventLogFilter,
  type EventRow,
  eventLogRows,
  readEventsAfter,
} from './event-log';
import { jsonParam, queryRows } from './rows';
import { workspaces } from './schema';

/**
 * The log's storage (one `event_batches` row per workspace and appending statement, in blocks
 * of EVENTS_PER_BATCH cursors, or whole for the dispatch record's at most EVENTS_PER_BATCH)
 * against what readers are promised: dense cursors per workspace,
 * replay after any cursor (inside a batch too), filters and limits in cursor order across
 * batches, and the same rows whether an event is read back or returned by its append.
 */

const postgres = createNodePostgres(inject('databaseUrl'), { max: 2 });
afterAll(() => postgres.close());
const { db } = postgres;

async function newWorkspace(): Promise<string> {
  const [row] = await db
    .insert(workspaces)
    .values({ name: `Log ${crypto.randomUUID().slice(0, 8)}` })
    .returning({ id: workspaces.id });
  return row!.id;
}

interface Appended {
  workspaceId: string;
  type: string;
  runId?: string;
  channelId?: string;
}

/** Appends the events in one statement, in the given order; returns the appended rows. */
async function append(events: readonly Appended[]): Promise<EventRow[]> {
  const rows = events.map((event, seq) => ({
    workspace_id: event.workspaceId,
    seq,
    type: event.type,
    data: { seq, nested: { empty: null } },
    run_id: event.runId ?? null,
    channel_id: event.channelId ?? null,
  }));
  const appended = await queryRows<{ event: EventRow }>(
    db,
    sql`with source as (
          select workspace_id, seq, type, data, null::uuid as workflow_id, run_id,
                 null::uuid as contact_id, channel_id, null::uuid as delivery_id
          from json_to_recordset(${jsonParam(rows)}::json) as r(
            workspace_id uuid, seq int, type text, data jsonb, run_id uuid, channel_id uuid)
        ),
        ${appendEventsCte('source', 'appended')}
        select to_jsonb(e) as event from appended e order by e.workspace_id, e.cursor`,
  );
  return appended.map((row) => row.event);
}

const cursors = (rows: readonly EventRow[]) => rows.map((row) => Number(row.cursor));
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);

async function batchesOf(workspaceId: string) {
  return queryRows<{ first: number; last: number; events: number }>(
    db,
    sql`select first_cursor::int as first, last_cursor::int as last,
               cardinality(events) as events
        from event_batches where workspace_id = ${workspaceId}::uuid order by last_cursor`,
  );
}

const read = (workspaceId: string, after: number, limit: number, filter?: EventLogFilter) =>
  readEventsAfter(db, workspaceId, after, limit, filter);

describe('the partner event log in batches', () => {
  it('numbers several workspaces’ events of one statement densely per workspace, one batch per workspace and block of cursors', async () => {
    const [a, b] = [await newWorkspace(), await newWorkspace()];
    await append(range(1, 3).map(() => ({ workspaceId: a, type: 'run.started' })));
    // One statement: 1,200 events of `a` (its cursors 4–1203) interleaved with 5 of `b` (1–5).
    const mixed: Appended[] = range(1, 1200).flatMap((index) => [
      { workspaceId: a, type: 'run.started' },
      ...(index % 240 === 0 ? [{ workspaceId: b, type: 'run.exited' }] : []),
    ]);
    const appended = await append(mixed);
    const ofA = appended.filter((row) => row.workspace_id === a);
    const ofB = appended.filter((row) => row.workspace_id === b);
    expect(cursors(ofA)).toEqual(range(4, 1203));
    expect(cursors(ofB)).toEqual(range(1, 5));
    // Within a workspace, cursor order is the statement's order (`seq`).
    const seqs = ofA.map((row) => (row.data as { seq: number }).seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));

    expect(EVENTS_PER_BATCH).toBe(1000);
    expect(await batchesOf(a)).toEqual([
      { first: 1, last: 3, events: 3 },
      { first: 4, last: 1000, events: 997 },
      { first: 1001, last: 1203, events: 203 },
    ]);
    expect(await batchesOf(b)).toEqual([{ first: 1, last: 5, events: 5 }]);

    // Read back, every event is the row its append returned.
    const all = await read(a, 0, 5000);
    expect(cursors(all)).toEqual(range(1, 1203));
    expect(all.slice(3)).toEqual(ofA);
    expect(await read(b, 0, 100)).toEqual(ofB);
  });

  it('appends a statement’s compact events as one row per workspace wherever its cursors fall, and says which it kept', async () => {
    const [a, b] = [await newWorkspace(), await newWorkspace()];
    await append(range(1, 995).map(() => ({ workspaceId: a, type: 'run.started' })));
    const runIds = range(1, 13).map(() => crypto.randomUUID());
    const workflowId = crypto.randomUUID();
    const contactId = crypto.randomUUID();
    // One statement: 10 run.completed of `a` (its cursors 996–1005, across the 1,000th) with 3
    // of `b` (1–3) among them, given out of seq order.
    const rows = runIds.map((runId, index) => ({
      workspace_id: index % 4 === 3 ? b : a,
      seq: 100 - index,
      run_id: runId,
      visit: index,
    }));
    const kept = await queryRows<{ workspace_id: string; seqs: number[]; first_cursor: string }>(
      db,
      sql`with source as (
            select workspace_id, seq, 'run.completed' as type, null::jsonb as data,
                   ${workflowId}::uuid as workflow_id, run_id, ${contactId}::uuid as contact_id,
                   null::uuid as channel_id, null::uuid as delivery_id, null::uuid as step_id,
                   visit, 'completed' as status, null::text as provider_message_id,
                   null::text as reason_code, null::text as reason_detail,
                   null::uuid as from_step_id, null::text as exit_reason
            from json_to_recordset(${jsonParam(rows)}::json) as r(
              workspace_id uuid, seq int, run_id uuid, visit int)
          ),
          ${appendWorkspaceBatchesCte('source', 'logged')}
          select workspace_id, seqs, first_cursor from logged`,
    );
    const seqsOf = (workspaceId: string) =>
      rows.filter((row) => row.workspace_id === workspaceId).map((row) => row.seq);
    expect(
      kept
        .map((row) => ({ ...row, seqs: [...row.seqs].sort((x, y) => x - y) }))
        .sort((x, y) => Number(x.first_cursor) - Number(y.first_cursor)),
    ).toEqual([
      { workspace_id: b, seqs: seqsOf(b).sort((x, y) => x - y), first_cursor: '1' },
      { workspace_id: a, seqs: seqsOf(a).sort((x, y) => x - y), first_cursor: '996' },
    ]);
    expect(await batchesOf(a)).toEqual([
      { first: 1, last: 995, events: 995 },
      { first: 996, last: 1005, events: 10 },
    ]);
    expect(await batchesOf(b)).toEqual([{ first: 1, last: 3, events: 3 }]);

    // Read back in seq order, the data built from the compact columns.
    const ofA = rows.filter((row) => row.workspace_id === a).sort((x, y) => x.seq - y.seq);
    const readA = await read(a, 995, 100);
    expect(cursors(readA)).toEqual(range(996, 1005));
    expect(readA.map((event) => event.run_id)).toEqual(ofA.map((row) => row.run_id));
    expect(readA[0]!.data).toEqual({
      run: {
        id: ofA[0]!.run_id,
        workflowId,
        contactId,
        status: 'completed',
        stepId: null,
        visit: ofA[0]!.visit,
        fromStepId: null,
        exitReason: null,
      },
    });
    expect(cursors(await read(a, 990, 3))).toEqual([991, 992, 993]);
    // A bounded read (the webhook fan-out's) finds cursors of the row that starts before its
    // upper bound and ends past the 1,000th.
    const bounded = await queryRows<{ cursor: string }>(
      db,
      sql`select e.cursor from ${eventLogRows(sql`${a}::uuid`, sql`997`, sql`1003`)} e
          order by e.batch_cursor, e.ord`,
    );
    expect(bounded.map((row) => Number(row.cursor))).toEqual(range(998, 1003));
    expect(cursors(await read(b, 0, 100))).toEqual([1, 2, 3]);
  });

  it('replays from a cursor inside a batch, and a limit cuts inside one', async () => {
    const workspaceId = await newWorkspace();
    await append(range(1, 10).map(() => ({ workspaceId, type: 'run.started' })));
    await append(range(1, 10).map(() => ({ workspaceId, type: 'run.completed' })));
    // After 7 (inside the first batch, 1–10), 5 events: 8–10 of it, then 11–12 of the next.
    const page = await read(workspaceId, 7, 5);
    expect(cursors(page)).toEqual([8, 9, 10, 11, 12]);
    expect(page.map((row) => row.type)).toEqual([
      'run.started',
      'run.started',
      'run.started',
      'run.completed',
      'run.completed',
    ]);
    // Paging on from the last cursor read gets the rest once each.
    expect(cursors(await read(workspaceId, 12, 100))).toEqual(range(13, 20));
    expect(await read(workspaceId, 20, 100)).toEqual([]);
    // A limit inside the first batch.
    expect(cursors(await read(workspaceId, 2, 3))).toEqual([3, 4, 5]);
  });

  it('applies filters across batches, in cursor order, before the limit', async () => {
    const workspaceId = await newWorkspace();
    const runId = crypto.randomUUID();
    const channelId = crypto.randomUUID();
    // Three statements; the watched run's events are cursors 2, 5 (first batch), 9 (second),
    // 13 and 15 (third); the channel's are 5, 9 and 14.
    const statement = (length: number, watched: number[], onChannel: number[], offset: number) =>
      append(
        range(1, length).map((index) => ({
          workspaceId,
          type: (offset + index) % 2 === 0 ? 'delivery.sent' : 'delivery.queued',
          runId: watched.includes(offset + index) ? runId : crypto.randomUUID(),
          channelId: onChannel.includes(offset + index) ? channelId : undefined,
        })),
      );
    await statement(6, [2, 5], [5], 0);
    await statement(5, [9], [9], 6);
    await statement(5, [13, 15], [14], 11);

    expect(cursors(await read(workspaceId, 0, 100, { runId }))).toEqual([2, 5, 9, 13, 15]);
    expect(cursors(await read(workspaceId, 0, 3, { runId }))).toEqual([2, 5, 9]);
    expect(cursors(await read(workspaceId, 5, 2, { runId }))).toEqual([9, 13]);
    expect(cursors(await read(workspaceId, 0, 100, { channelId }))).toEqual([5, 9, 14]);
    expect(cursors(await read(workspaceId, 0, 100, { runId, types: ['delivery.queued'] }))).toEqual(
      [5, 9, 13, 15],
    );
    expect(cursors(await read(workspaceId, 0, 100, { runId, channelId }))).toEqual([5, 9]);
    expect(
      cursors(await read(workspaceId, 3, 100, { types: ['delivery.sent'] })).every(
        (cursor) => cursor > 3,
      ),
    ).toBe(true);
  });

  it('reads a compact event, one stored without its ids and a whole one with the same data', async () => {
    const workspaceId = await newWorkspace();
    const ids = {
      run: crypto.randomUUID(),
      workflow: crypto.randomUUID(),
      contact: crypto.randomUUID(),
      channel: crypto.randomUUID(),
      delivery: crypto.randomUUID(),
      step: crypto.randomUUID(),
      nextStep: crypto.randomUUID(),
    };
    const delivery = {
      id: ids.delivery,
      runId: ids.run,
      stepId: ids.step,
      visit: 1,
      workflowId: ids.workflow,
      contactId: ids.contact,
      channelId: ids.channel,
      status: 'failed',
      providerStatus: null,
      providerMessageId: 'wamid.1',
      reason: { code: 'provider_rejected', detail: 'Number <b>blocked</b>' },
    };
    const run = {
      id: ids.run,
      workflowId: ids.workflow,
      contactId: ids.contact,
      status: 'exited',
      stepId: null,
      visit: 2,
      fromStepId: ids.step,
      exitReason: 'send_failed',
    };
    const {
      id: _d,
      runId: _r,
      workflowId: _w,
      contactId: _c,
      channelId: _ch,
      ...storedDelivery
    } = delivery;
    const { id: _id, workflowId: _wf, contactId: _ct, ...storedRun } = run;
    // Elements as each writer stores them: the record's compact form (fields in columns), the
    // record's form before it (data less the ids its columns hold), and a whole object.
    await db.execute(sql`insert into event_batches (workspace_id, first_cursor, last_cursor, events)
      values (${workspaceId}::uuid, 1, 6, array[
        row('delivery.failed', null, ${ids.workflow}, ${ids.run}, ${ids.contact}, ${ids.channel},
            ${ids.delivery}, ${ids.step}, 1, 'failed', 'wamid.1', 'provider_rejected',
            'Number <b>blocked</b>', null, null)::batched_event,
        row('run.exited', null, ${ids.workflow}, ${ids.run}, ${ids.contact}, null, null, null, 2,
            'exited', null, null, null, ${ids.step}, 'send_failed')::batched_event,
        row('delivery.failed', ${JSON.stringify({ delivery: storedDelivery })}::jsonb,
            ${ids.workflow}, ${ids.run}, ${ids.contact}, ${ids.channel}, ${ids.delivery},
            null, null, null, null, null, null, null, null)::batched_event,
        row('run.exited', ${JSON.stringify({ run: storedRun })}::jsonb, ${ids.workflow}, ${ids.run},
            ${ids.contact}, null, null, null, null, null, null, null, null, null,
            null)::batched_event,
        row('delivery.failed', ${JSON.stringify({ delivery })}::jsonb, ${ids.workflow}, ${ids.run},
            ${ids.contact}, ${ids.channel}, ${ids.delivery}, null, null, null, null, null, null,
            null, null)::batched_event,
        row('run.exited', ${JSON.stringify({ run })}::jsonb, ${ids.workflow}, ${ids.run},
            ${ids.contact}, null, null, null, null, null, null, null, null, null,
            null)::batched_event])`);
    const events = await read(workspaceId, 0, 10);
    expect(cursors(events)).toEqual(range(1, 6));
    expect(events.map((event) => event.data)).toEqual([
      { delivery },
      { run },
      { delivery },
      { run },
      { delivery },
      { run },
    ]);
  });
});
