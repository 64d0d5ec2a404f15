import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { eventLogRows, readEventsAfter } from '../../db/event-log';
import { queryRows } from '../../db/rows';
import { applyStatusUpdates } from '../callbacks/status-updates';
import { useNodeDispatch } from '../dispatch/test-node-dispatch';
import { consumeRuns, readDeliveries, seedRunsAtCustomSend } from '../dispatch/test-seed';
import { type LoggedEvent, loggedEventFromRow } from './types';

/**
 * The event log is written by the statements that make the changes (claim, record, status
 * updates), with a dense per-workspace cursor, and what is published equals what is logged.
 * Runs the real dispatch consumer in Node against the test Postgres and a real HTTP endpoint.
 */

const node = useNodeDispatch(6);
const { db, cipher } = node;

const workspaceWithRuns = (count: number) =>
  seedRunsAtCustomSend({ db, cipher }, node.endpoint.url, count);

function collector() {
  const published: LoggedEvent[] = [];
  return {
    published,
    publisher: {
      publish: async (events: readonly LoggedEvent[]) => void published.push(...events),
    },
  };
}

describe('the event log', () => {
  it('logs queued, sent and completed for each send in cursor order, and publishes exactly what it logged', async () => {
    const { workspaceId, runIds, workflowId } = await workspaceWithRuns(2);
    const { published, publisher } = collector();
    await consumeRuns({ db, cipher }, runIds, publisher);

    const logged = (await readEventsAfter(db, workspaceId, 0, 100)).map(loggedEventFromRow);
    expect(logged.map((event) => event.cursor)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(published).toEqual(logged);
    for (const runId of runIds) {
      const mine = logged.filter((event) => event.refs.runId === runId);
      expect(mine.map((event) => event.event.type)).toEqual([
        'delivery.queued',
        'delivery.sent',
        'run.completed',
      ]);
      const [delivery] = await readDeliveries(db, runId);
      expect(mine[1]!.event.data).toEqual({
        delivery: expect.objectContaining({
          id: delivery!.id,
          runId,
          workflowId,
          status: 'sent',
          providerMessageId: delivery!.providerMessageId,
          reason: null,
        }),
      });
      expect(mine[2]!.event).toMatchObject({
        v: 1,
        type: 'run.completed',
        data: { run: { id: runId, status: 'completed', workflowId } },
      });
    }
  });

  it('logs a provider status once, however often it is reported', async () => {
    const { workspaceId, channelId, runIds } = await workspaceWithRuns(1);
    await consumeRuns({ db, cipher }, runIds, collector().publisher);
    const [delivery] = await readDeliveries(db, runIds[0]!);
    const status = {
      kind: 'status' as const,
      eventKey: 'k1',
      channelId,
      providerMessageId: delivery!.providerMessageId!,
      deliveryId: null,
      status: 'delivered' as const,
      at: new Date().toISOString(),
      failure: null,
    };
    const { published, publisher } = collector();
    await applyStatusUpdates(db, [status], publisher);
    await applyStatusUpdates(db, [{ ...status, eventKey: 'k2' }], publisher);
    expect(published.map((event) => [event.cursor, event.event.type])).toEqual([
      [4, 'delivery.delivered'],
    ]);
    const logged = await readEventsAfter(db, workspaceId, 3, 10, { types: ['delivery.delivered'] });
    expect(logged).toHaveLength(1);
  });

  it('gives concurrent statements in one workspace distinct, dense cursors committed in order', async () => {
    const { workspaceId, runIds } = await workspaceWithRuns(12);
    const { publisher } = collector();
    // Six batches of two at once, each its own statements on its own connection.
    await Promise.all(
      [0, 2, 4, 6, 8, 10].map((start) =>
        consumeRuns({ db, cipher }, runIds.slice(start, start + 2), publisher),
      ),
    );
    const rows = await queryRows<{ cursor: string }>(
      db,
      sql`select cursor from ${eventLogRows(sql`${workspaceId}::uuid`)} e order by cursor`,
    );
    expect(rows.map((row) => Number(row.cursor))).toEqual(
      Array.from({ length: 36 }, (_, index) => index + 1),
    );
  });
});
