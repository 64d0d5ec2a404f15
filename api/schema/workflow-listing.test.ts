import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { steps, workflows } from '../../db/schema';
import { createWorkspaceWithKey } from '../bootstrap';
import { createApi } from '../server';
import { seedLibrary } from '../workflows/test-fixtures';

/**
 * Listing workflows with their steps (and everything a workflow list screen shows) costs the
 * same number of SQL queries for 5 workflows as for 50: plugin-drizzle plans the nested
 * selection into one query, and channels/files named inside step configs are batched, each
 * fetched once with what the Channel and File fields beneath them select.
 */

const postgres = createNodePostgres(inject('databaseUrl'), { max: 4 });
afterAll(() => postgres.close());
const yoga = createApi({ db: postgres.db, credentialsKey: generateCredentialsKey() });

// Every statement the API sends goes through the pool (transactions check out a client, but a
// read-only query like this one has none).
let queries = 0;
const poolQuery = postgres.pool.query.bind(postgres.pool);
postgres.pool.query = ((...args: Parameters<typeof poolQuery>) => {
  queries++;
  return poolQuery(...args);
}) as typeof postgres.pool.query;

const LIST = /* GraphQL */ `
  query ($first: Int!) {
    workflows(first: $first) {
      nodes {
        id name status hasUnpublishedChanges stepCount
        entryStep { id name }
        publishedVersion { version }
        steps {
          id name type position
          nextStep { id name }
          failureStep { id }
          ... on SendMessageStep {
            config {
              channel { kind channel { id name type } }
              defaultMessage { __typename ... on TextMessage { text } ... on MediaMessage { file { name } } }
              channelResponses { channel { name } }
              failureBranchEnabled
            }
          }
          ... on WaitStep { seconds }
        }
      }
      pageInfo { hasNextPage }
    }
  }
`;

/** A workspace with `count` workflows of three steps each (message → wait → media message). */
async function workspaceWith(count: number) {
  const { workspaceId, apiKey } = await createWorkspaceWithKey(postgres.db, {
    name: `${count} workflows`,
  });
  const library = await seedLibrary(postgres.db, workspaceId);
  const rows = await postgres.db
    .insert(workflows)
    .values(Array.from({ length: count }, (_, index) => ({ workspaceId, name: `Flow ${index}` })))
    .returning();
  for (const workflow of rows) {
    const [first, wait, last] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const base = { workspaceId, workflowId: workflow.id };
    const message = (channelId: string, defaultMessage: Record<string, unknown>) => ({
      channel: { kind: 'specific', channelId },
      defaultMessage,
      channelResponses: [{ channelId: library.telegram.id, content: { type: 'text', text: 'Hi' } }],
      failureBranchEnabled: false,
    });
    await postgres.db.insert(steps).values([
      {
        ...base,
        id: last,
        type: 'send_message',
        position: 2,
        config: message(library.email.id, { type: 'media', fileId: library.file.id }),
      },
      { ...base, id: wait, type: 'wait', position: 1, nextStepId: last, config: { seconds: 60 } },
      {
        ...base,
        id: first,
        type: 'send_message',
        position: 0,
        nextStepId: wait,
        config: message(library.sms.id, { type: 'text', text: 'Hello' }),
      },
    ]);
    await postgres.db
      .update(workflows)
      .set({ entryStepId: first })
      .where(eq(workflows.id, workflow.id));
  }
  return apiKey;
}

async function countQueries(apiKey: string, first: number) {
  queries = 0;
  const response = await yoga.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query: LIST, variables: { first } }),
  });
  const body = (await response.json()) as {
    data?: { workflows: { nodes: unknown[] } };
    errors?: unknown;
  };
  expect(body.errors).toBeUndefined();
  return { count: queries, nodes: body.data!.workflows.nodes };
}

describe('listing workflows with their steps', () => {
  let small: string;
  let large: string;

  beforeAll(async () => {
    small = await workspaceWith(5);
    large = await workspaceWith(50);
  });

  it('costs the same small number of queries for 5 and for 50 workflows', async () => {
    const five = await countQueries(small, 50);
    const fifty = await countQueries(large, 50);
    expect(five.nodes).toHaveLength(5);
    expect(fifty.nodes).toHaveLength(50);
    expect(fifty.nodes[49]).toMatchObject({
      stepCount: 3,
      steps: [
        {
          type: 'SEND_MESSAGE',
          config: {
            channel: { kind: 'SPECIFIC', channel: { name: 'sms connected', type: 'SMS' } },
            channelResponses: [{ channel: { name: 'telegram connected' } }],
          },
        },
        { type: 'WAIT', seconds: 60 },
        { type: 'SEND_MESSAGE', config: { defaultMessage: { file: { name: 'brochure.pdf' } } } },
      ],
    });
    // Authentication (2), the planned workflows query with steps, counts and versions (1), and
    // the channels and files that configs name by id (2): one lookup per table, with the
    // columns every field asking for them selects, which the Channel and File types then use
    // as loaded rather than fetching each row again by primary key.
    expect(fifty.count).toBe(five.count);
    expect(fifty.count).toBeLessThanOrEqual(5);
  });
});
