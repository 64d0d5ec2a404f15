import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  channels,
  contacts,
  files,
  runs,
  snippets,
  webhookAttempts,
  webhookEndpoints,
  webhookMessages,
  workflows,
} from '../../db/schema';
import { publishWorkflow, sendConfig } from '../../edge/dispatch/test-seed';
import { type Json, type TestWorkspace, useTestApi } from '../test-support';

/**
 * Every connection of the schema against the GraphQL Cursor Connections Specification
 * (relay.dev/graphql/connections.htm): paging both ways through rows that share a timestamp,
 * pageInfo at both ends and on empty pages, and refused arguments.
 */

const api = useTestApi();

/** All rows of each connection share this created_at (attempts: attempted_at). */
const SAME_TIME = '2026-01-01 00:00:01+00';
const ROWS = 5;

interface Connection {
  name: string;
  /** The document for page arguments `$first $after $last $before`, selecting `...Page`. */
  document: string;
  page(data: Json): Json;
}

const PAGE =
  'edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const ARGS = 'first: $first, after: $after, last: $last, before: $before';
const VARS = '$first: Int, $after: String, $last: Int, $before: String';

function root(field: string): Connection {
  return {
    name: field,
    document: `query (${VARS}) { ${field}(${ARGS}) { ${PAGE} } }`,
    page: (data) => data[field],
  };
}

let ws: TestWorkspace;
let empty: TestWorkspace;
let connections: Connection[];
const expected = new Map<string, string[]>();

beforeAll(async () => {
  ws = await api.createWorkspace();
  empty = await api.createWorkspace();
  const workspaceId = ws.workspaceId;
  const createdAt = sql`${SAME_TIME}::timestamptz`;
  const range = Array.from({ length: ROWS }, (_, index) => index);
  const ids = (rows: { id: string }[]) => rows.map((row) => row.id);

  expected.set(
    'snippets',
    ids(
      await api.db
        .insert(snippets)
        .values(range.map((i) => ({ workspaceId, name: `s${i}`, body: 'x', createdAt })))
        .returning({ id: snippets.id }),
    ),
  );
  const contactIds = ids(
    await api.db
      .insert(contacts)
      .values(range.map((i) => ({ workspaceId, firstName: `c${i}`, createdAt })))
      .returning({ id: contacts.id }),
  );
  expected.set('contacts', contactIds);
  expected.set(
    'files',
    ids(
      await api.db
        .insert(files)
        .values(
          range.map((i) => ({
            workspaceId,
            name: `f${i}.png`,
            contentType: 'image/png',
            sizeBytes: 1,
            url: `https://cdn.example.com/f${i}.png`,
            createdAt,
          })),
        )
        .returning({ id: files.id }),
    ),
  );
  for (const i of range) await api.createChannel(ws.apiKey, 'EMAIL', `ch${i}`);
  expected.set(
    'channels',
    ids(
      await api.db
        .update(channels)
        .set({ createdAt })
        .where(eq(channels.workspaceId, workspaceId))
        .returning({ id: channels.id }),
    ),
  );
  const workflow = await publishWorkflow(api.db, workspaceId, [
    { key: 'hello', type: 'send_message', config: sendConfig() },
  ]);
  await api.db
    .insert(workflows)
    .values(range.slice(1).map((i) => ({ workspaceId, name: `w${i}` })));
  expected.set(
    'workflows',
    ids(
      await api.db
        .update(workflows)
        .set({ createdAt })
        .where(eq(workflows.workspaceId, workspaceId))
        .returning({ id: workflows.id }),
    ),
  );
  expected.set(
    'runs',
    ids(
      await api.db
        .insert(runs)
        .values(
          contactIds.map((contactId) => ({
            workspaceId,
            workflowId: workflow.workflowId,
            versionId: workflow.versionId,
            contactId,
            createdAt,
          })),
        )
        .returning({ id: runs.id }),
    ),
  );
  const endpointIds = ids(
    await api.db
      .insert(webhookEndpoints)
      .values(
        range.map(() => ({
          workspaceId,
          url: 'https://hooks.example.com',
          createdAt,
          secretCiphertext: 'x',
        })),
      )
      .returning({ id: webhookEndpoints.id }),
  );
  expected.set('webhookEndpoints', endpointIds);
  const messageIds = range.map((i) => `msg_${i}${'0'.repeat(31)}`);
  await api.db.insert(webhookMessages).values(
    messageIds.map((id, i) => ({
      id,
      workspaceId,
      endpointId: endpointIds[0]!,
      eventCursor: i + 1,
      eventType: 'delivery.sent',
      createdAt,
    })),
  );
  expected.set('webhookMessages', messageIds);
  expected.set('WebhookEndpoint.messages', messageIds);
  expected.set(
    'WebhookMessage.attempts',
    ids(
      await api.db
        .insert(webhookAttempts)
        .values(
          range.map(() => ({
            workspaceId,
            messageId: messageIds[0]!,
            endpointId: endpointIds[0]!,
            attemptedAt: new Date('2026-01-01T00:00:01Z'),
            latencyMs: 1,
            succeeded: false,
          })),
        )
        .returning({ id: webhookAttempts.id }),
    ),
  );

  connections = [
    ...[
      'snippets',
      'contacts',
      'files',
      'channels',
      'workflows',
      'runs',
      'webhookEndpoints',
      'webhookMessages',
    ].map(root),
    {
      name: 'WebhookEndpoint.messages',
      document: `query ($id: ID!, ${VARS}) { webhookEndpoint(id: $id) { messages(${ARGS}) { ${PAGE} } } }`,
      page: (data) => data.webhookEndpoint.messages,
    },
    {
      name: 'WebhookMessage.attempts',
      document: `query ($id: ID!, ${VARS}) { webhookMessage(id: $id) { attempts(${ARGS}) { ${PAGE} } } }`,
      page: (data) => data.webhookMessage.attempts,
    },
  ];
});

/** The parent id a nested connection's document takes. */
function parentId(connection: Connection): string | undefined {
  if (connection.name === 'WebhookEndpoint.messages') return expected.get('webhookEndpoints')![0];
  if (connection.name === 'WebhookMessage.attempts') return expected.get('webhookMessages')![0];
  return undefined;
}

async function page(
  connection: Connection,
  args: Record<string, unknown>,
  key = ws.apiKey,
): Promise<Json> {
  const result = await api.gql(key, connection.document, { id: parentId(connection), ...args });
  expect(result.errors, `${connection.name} ${JSON.stringify(args)}`).toBeUndefined();
  const connectionPage = connection.page(result.data);
  const cursors = connectionPage.edges.map((edge: Json) => edge.cursor);
  // startCursor/endCursor are the first and last edges' cursors, null on an empty page.
  expect(connectionPage.pageInfo.startCursor).toBe(cursors[0] ?? null);
  expect(connectionPage.pageInfo.endCursor).toBe(cursors.at(-1) ?? null);
  return connectionPage;
}

const ids = (connectionPage: Json): string[] =>
  connectionPage.edges.map((edge: Json) => edge.node.id);

describe('every connection', () => {
  it('pages forward and backward through rows sharing a timestamp, each row once', async () => {
    for (const connection of connections) {
      const all = ids(await page(connection, { first: 100 }));
      expect([...all].sort(), connection.name).toEqual([...expected.get(connection.name)!].sort());

      const forward: string[] = [];
      let after: string | null = null;
      for (let count = 0; count < 10; count++) {
        const current: Json = await page(connection, { first: 2, after });
        forward.push(...ids(current));
        expect(current.pageInfo.hasPreviousPage, connection.name).toBe(after !== null);
        if (!current.pageInfo.hasNextPage) break;
        after = current.pageInfo.endCursor;
      }
      expect(forward, connection.name).toEqual(all);

      const backward: string[] = [];
      let before: string | null = null;
      for (let count = 0; count < 10; count++) {
        const current: Json = await page(connection, { last: 2, before });
        backward.unshift(...ids(current));
        expect(current.pageInfo.hasNextPage, connection.name).toBe(before !== null);
        if (!current.pageInfo.hasPreviousPage) break;
        before = current.pageInfo.startCursor;
      }
      expect(backward, connection.name).toEqual(all);

      // Every edge's cursor is usable as `after`: it continues right after that edge.
      const edges = (await page(connection, { first: 100 })).edges;
      const next = await page(connection, { first: 1, after: edges[1].cursor });
      expect(ids(next), connection.name).toEqual([all[2]]);
    }
  });

  it('answers an empty page with null cursors and no further pages', async () => {
    for (const connection of connections.filter((c) => !parentId(c))) {
      for (const args of [{ first: 10 }, { last: 10 }, {}]) {
        const current = await page(connection, args, empty.apiKey);
        expect(current.edges, connection.name).toEqual([]);
        expect(current.pageInfo, connection.name).toEqual({
          hasNextPage: false,
          hasPreviousPage: false,
          startCursor: null,
          endCursor: null,
        });
      }
    }
  });

  it('refuses malformed, emptied, foreign and tampered cursors and bad sizes as BAD_USER_INPUT', async () => {
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const attemptsCursor = (await page(connections.at(-1)!, { first: 1 })).pageInfo.endCursor;
    const snippetsCursor = (await page(connections[0]!, { first: 1 })).pageInfo.endCursor;
    const refused: Record<string, unknown>[] = [
      { first: -1 },
      { last: -1 },
      { first: 1, last: 1 },
      { after: '' },
      { before: '' },
      { after: 'not base64!' },
      { after: base64('hello') },
      { after: base64('DC:T:["O:{}","O:{}"]') },
      { after: base64('DC:T:["N:1","N:2"]') },
      { after: base64('DC:O:{"a":1}') },
      { after: base64('DC:Z:') },
      { before: base64('DC:T:["S:2026-01-01T00:00:01.000000"]') },
    ];
    for (const connection of connections) {
      const foreign =
        connection.name === 'WebhookMessage.attempts' ? snippetsCursor : attemptsCursor;
      for (const args of [...refused, { after: foreign }]) {
        const result = await api.gql(ws.apiKey, connection.document, {
          id: parentId(connection),
          ...args,
        });
        expect(
          result.errors?.[0]?.extensions?.code,
          `${connection.name} ${JSON.stringify(args)}`,
        ).toBe('BAD_USER_INPUT');
      }
    }
  });
});

describe('keyset paging', () => {
  it('neither skips nor repeats rows when rows are added or the cursor row is deleted between pages', async () => {
    const own = await api.createWorkspace();
    const names = ['a', 'b', 'c', 'd'];
    for (const name of names) {
      await api.db.insert(snippets).values({ workspaceId: own.workspaceId, name, body: 'x' });
    }
    const query =
      'query ($after: String) { snippets(first: 2, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } } }';
    const first = await api.gql(own.apiKey, query, {});
    expect(first.data.snippets.nodes.map((n: Json) => n.name)).toEqual(['a', 'b']);
    await api.db.delete(snippets).where(eq(snippets.id, first.data.snippets.nodes[1].id));
    await api.db.insert(snippets).values({ workspaceId: own.workspaceId, name: 'e', body: 'x' });
    const second = await api.gql(own.apiKey, query, {
      after: first.data.snippets.pageInfo.endCursor,
    });
    expect(second.data.snippets.nodes.map((n: Json) => n.name)).toEqual(['c', 'd']);
    const third = await api.gql(own.apiKey, query, {
      after: second.data.snippets.pageInfo.endCursor,
    });
    expect(third.data.snippets.nodes.map((n: Json) => n.name)).toEqual(['e']);
    expect(third.data.snippets.pageInfo.hasNextPage).toBe(false);
  });
});
