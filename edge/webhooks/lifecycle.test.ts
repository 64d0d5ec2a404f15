import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useTestApi } from '../../api/test-support';
import { duringDelete } from '../../api/workflows/test-fixtures';
import { CredentialCipher } from '../../db/credentials';
import { queryRows } from '../../db/rows';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { deliverWebhookMessages, type WebhookDeliveryDeps } from './deliver';
import { fanOutAndEnqueue } from './fanout';
import { WEBHOOK_LEASE_SECONDS } from './limits';
import { replayEndpoint } from './replay';
import { sweepWebhooks } from './sweep';
import { appendRunEvents, type RecordingQueue, recordingQueue } from './test-support';

/**
 * Webhook messages across an endpoint's life: deleted or disabled while messages are in flight
 * or due, and replayed page by page. Node against the test Postgres and a real HTTP receiver.
 */

const queue: RecordingQueue = recordingQueue();
const api = useTestApi({ allowPrivateUrls: true, webhookQueue: queue });
const cipher = new CredentialCipher(api.credentialsKey);
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver('whsec_AAAA');
});
afterAll(() => receiver?.close());

const CREATE = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      ... on MutationCreateWebhookEndpointSuccess { data { endpoint { id } } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $enabled: Boolean!) {
    updateWebhookEndpoint(id: $id, input: { enabled: $enabled }) {
      __typename
    }
  }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteWebhookEndpoint(id: $id) { __typename }
  }
`;

async function createEndpoint(apiKey: string, path: string): Promise<string> {
  const created = await api.gql(apiKey, CREATE, { input: { url: `${receiver.url}${path}` } });
  return created.data.createWebhookEndpoint.data.endpoint.id as string;
}

function deps(now: Date): WebhookDeliveryDeps {
  return { db: api.db, cipher, queue, allowPrivateUrls: true, now: () => now };
}

async function messagesOf(endpointId: string) {
  return queryRows<{ id: string; status: string }>(
    api.db,
    sql`select id, status from webhook_messages where endpoint_id = ${endpointId}::uuid
        order by event_cursor`,
  );
}

function receivedFor(ids: readonly string[]) {
  return receiver.requests.filter((request) => ids.includes(String(request.headers['webhook-id'])));
}

describe('webhook endpoints deleted, disabled and replayed', () => {
  it('an endpoint deleted while its message is being POSTed does not make the batch’s other messages go out twice', async () => {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const doomed = await createEndpoint(apiKey, '/deleted-meanwhile');
    const kept = await createEndpoint(apiKey, '/kept');
    receiver.respondWith((request) =>
      request.path.endsWith('/deleted-meanwhile') ? { status: 200, delayMs: 800 } : { status: 200 },
    );
    await appendRunEvents(api.db, workspaceId, 1);
    const now = new Date();
    await fanOutAndEnqueue(api.db, queue, [workspaceId], now);
    const ids = queue.take().map((message) => message.id);
    expect(ids).toHaveLength(2);
    const [keptMessage] = await messagesOf(kept);

    const delivering = deliverWebhookMessages(ids, deps(now));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const deleted = await api.gql(apiKey, DELETE, { id: doomed });
    expect(deleted.data.deleteWebhookEndpoint.__typename).toBe(
      'MutationDeleteWebhookEndpointSuccess',
    );
    await expect(delivering).resolves.toMatchObject({ attempted: 2 });
    expect(await messagesOf(kept)).toEqual([{ id: keptMessage!.id, status: 'succeeded' }]);
    expect(await messagesOf(doomed)).toEqual([]);

    // Long after the lease: nothing is left to restore, so nothing goes out again.
    const later = new Date(now.getTime() + (WEBHOOK_LEASE_SECONDS + 600) * 1000);
    const sweepQueue = recordingQueue();
    await sweepWebhooks(api.db, sweepQueue, later);
    const swept = sweepQueue.take().map((message) => message.id);
    expect(swept).not.toContain(keptMessage!.id);
    await deliverWebhookMessages([keptMessage!.id], deps(later));
    expect(receivedFor([keptMessage!.id])).toHaveLength(1);
  });

  it('an endpoint deleted while the log is fanned out gets nothing, and the other endpoints get their messages', async () => {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const doomed = await createEndpoint(apiKey, '/deleted-during-fan-out');
    const kept = await createEndpoint(apiKey, '/kept-during-fan-out');
    await appendRunEvents(api.db, workspaceId, 2);
    queue.take();
    // The fan-out meets the delete before it commits: it must wait for it and leave the
    // deleted endpoint out, not fail (the queue would retry its whole batch) on the messages'
    // foreign key.
    const created = await duringDelete(
      api.db,
      (tx) => tx.execute(sql`delete from webhook_endpoints where id = ${doomed}::uuid`),
      () => fanOutAndEnqueue(api.db, queue, [workspaceId], new Date()),
    );
    expect(created).toBe(2);
    expect(await messagesOf(doomed)).toEqual([]);
    expect((await messagesOf(kept)).map((message) => message.status)).toEqual([
      'pending',
      'pending',
    ]);
    expect(queue.take()).toHaveLength(2);
  });

  it('a workspace deleted while its log is fanned out waits for the fan-out, and neither fails', async () => {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const endpoint = await createEndpoint(apiKey, '/workspace-deleted');
    await appendRunEvents(api.db, workspaceId, 1);
    await fanOutAndEnqueue(api.db, queue, [workspaceId], new Date());
    await appendRunEvents(api.db, workspaceId, 1);
    queue.take();
    const blocked = async (pid: number) => {
      for (const started = Date.now(); Date.now() - started < 10_000; ) {
        const [row] = await queryRows<{ blocked: boolean }>(
          api.db,
          sql`select cardinality(pg_blocking_pids(${pid}::int)) > 0 as blocked`,
        );
        if (row?.blocked) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`backend ${pid} never waited`);
    };
    // The fan-out is held once it has its cursor's row (the endpoint's row is locked), and the
    // workspace's delete comes then: it holds the workspace's row while its cascade reaches the
    // cursor and the endpoint, and the fan-out's messages need that workspace's key.
    const holder = new pg.Client({ connectionString: inject('databaseUrl') });
    const deleter = new pg.Client({ connectionString: inject('databaseUrl') });
    await holder.connect();
    await deleter.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from webhook_endpoints where id = $1 for update', [endpoint]);
      const holderPid: number = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid;
      const fanningOut = fanOutAndEnqueue(api.db, queue, [workspaceId], new Date());
      fanningOut.catch(() => {});
      for (const started = Date.now(); ; ) {
        const waiting = await queryRows(
          api.db,
          sql`select 1 from pg_stat_activity where ${holderPid}::int = any(pg_blocking_pids(pid))`,
        );
        if (waiting.length > 0) break;
        if (Date.now() - started > 10_000) throw new Error('the fan-out never waited');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const deleterPid: number = (await deleter.query('select pg_backend_pid() as pid')).rows[0]
        .pid;
      const deleting = deleter.query('delete from workspaces where id = $1', [workspaceId]);
      deleting.catch(() => {});
      await blocked(deleterPid);
      await holder.query('rollback');
      await expect(fanningOut).resolves.toBe(1);
      await expect(deleting).resolves.toMatchObject({ rowCount: 1 });
    } finally {
      await holder.end();
      await deleter.end();
    }
    expect(await messagesOf(endpoint)).toEqual([]);
  });

  it('the sweep leaves a disabled endpoint’s due messages alone, and restores them once it is enabled again', async () => {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const endpointId = await createEndpoint(apiKey, '/disabled');
    receiver.respondWith(() => ({ status: 200 }));
    await appendRunEvents(api.db, workspaceId, 2);
    const now = new Date();
    await fanOutAndEnqueue(api.db, queue, [workspaceId], now);
    queue.take(); // their queue messages are lost
    const ids = (await messagesOf(endpointId)).map((message) => message.id);
    expect(ids).toHaveLength(2);
    const off = await api.gql(apiKey, UPDATE, { id: endpointId, enabled: false });
    expect(off.data.updateWebhookEndpoint.__typename).toBe('MutationUpdateWebhookEndpointSuccess');

    const sweepQueue = recordingQueue();
    for (const minutes of [5, 10, 15]) {
      await sweepWebhooks(api.db, sweepQueue, new Date(now.getTime() + minutes * 60_000));
    }
    expect(sweepQueue.take().filter((message) => ids.includes(message.id))).toEqual([]);

    await api.gql(apiKey, UPDATE, { id: endpointId, enabled: true });
    const later = new Date(now.getTime() + 20 * 60_000);
    await sweepWebhooks(api.db, sweepQueue, later);
    const restored = sweepQueue.take().map((message) => message.id);
    expect(restored).toEqual(expect.arrayContaining(ids));
    await deliverWebhookMessages(ids, deps(later));
    expect(receivedFor(ids)).toHaveLength(2);
  });

  /** Every page of `replayEndpoint` from `since`, following `continueFrom` (at most `pages`). */
  async function replayAll(endpointId: string, since: Date, limit: number, pages = 10) {
    const pageIds: string[][] = [];
    let from: Date | null = since;
    while (from && pageIds.length < pages) {
      const result = await replayEndpoint(api.db, queue, endpointId, from, new Date(), limit);
      pageIds.push(queue.take().map((message) => message.id));
      expect(result.replayed).toBe(pageIds.at(-1)!.length);
      from = result.continueFrom;
    }
    return { pageIds, done: from === null };
  }

  it('replays an endpoint page by page without skipping or repeating messages within a millisecond', async () => {
    const { workspaceId, apiKey } = await api.createWorkspace();
    const endpointId = await createEndpoint(apiKey, '/replayed');
    await appendRunEvents(api.db, workspaceId, 5);
    await fanOutAndEnqueue(api.db, queue, [workspaceId], new Date());
    queue.take();
    const ids = (await messagesOf(endpointId)).map((message) => message.id);
    // Microsecond times as events have them: two in one millisecond (the second past its
    // half), then three sharing one instant (one statement's events).
    const times = [
      '2026-03-01T10:00:00.000100Z',
      '2026-03-01T10:00:00.000700Z',
      '2026-03-01T10:00:00.002500Z',
      '2026-03-01T10:00:00.002500Z',
      '2026-03-01T10:00:00.002500Z',
    ];
    for (const [index, id] of ids.entries()) {
      await api.db.execute(
        sql`update webhook_messages set created_at = ${times[index]}::timestamptz where id = ${id}`,
      );
    }
    const since = new Date('2026-03-01T10:00:00.000Z');
    for (const limit of [1, 2, 4]) {
      const { pageIds, done } = await replayAll(endpointId, since, limit);
      expect(done, `limit ${limit}`).toBe(true);
      expect(pageIds.flat().sort(), `limit ${limit}`).toEqual([...ids].sort());
    }
  });
});
