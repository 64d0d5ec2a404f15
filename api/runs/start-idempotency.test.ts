import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runs, startRequests } from '../../db/schema';
import { publishWorkflow, seedContact, sendConfig } from '../../edge/dispatch/test-seed';
import { useTestApi } from '../test-support';

/**
 * startWorkflow with an idempotency key: a client that retries after a timeout (it never saw the
 * answer) gets the runs of its first call, not a second run per contact and a second message.
 */

const enqueued: unknown[] = [];
const api = useTestApi({ dispatch: { send: async (message) => void enqueued.push(message) } });

const START = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    startWorkflow(input: $input) {
      __typename
      ... on MutationStartWorkflowSuccess { data { runCount runs { id contact { id } } } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;

async function setup() {
  const workspace = await api.createWorkspace();
  const { workflowId } = await publishWorkflow(api.db, workspace.workspaceId, [
    { key: 'hello', type: 'send_message', config: sendConfig() },
  ]);
  const contacts = [
    await seedContact(api.db, workspace.workspaceId),
    await seedContact(api.db, workspace.workspaceId),
  ];
  const start = async (input: Record<string, unknown>) =>
    (await api.gql(workspace.apiKey, START, { input: { workflowId, ...input } })).data
      .startWorkflow;
  const runCount = async () =>
    (await api.db.select().from(runs).where(eq(runs.workflowId, workflowId))).length;
  return { ...workspace, workflowId, contacts, start, runCount };
}

describe('startWorkflow with an idempotency key', () => {
  it('answers a retry with the first call’s runs, starting and enqueueing nothing more', async () => {
    const { contacts, start, runCount } = await setup();
    const input = { contactIds: contacts, variables: { offer: '20%' }, idempotencyKey: 'req-1' };
    const first = await start(input);
    expect(first.__typename).toBe('MutationStartWorkflowSuccess');
    const sentBefore = enqueued.length;
    const again = await start(input);
    expect(again).toEqual(first);
    expect(await runCount()).toBe(2);
    expect(enqueued.length).toBe(sentBefore);
    // Another key is another request.
    expect((await start({ ...input, idempotencyKey: 'req-2' })).data.runCount).toBe(2);
    expect(await runCount()).toBe(4);
  });

  it('refuses the key with another request, and starts nothing', async () => {
    const { contacts, start, runCount } = await setup();
    await start({ contactIds: contacts, idempotencyKey: 'req-1' });
    for (const other of [
      { contactIds: [contacts[0]], idempotencyKey: 'req-1' },
      { contactIds: contacts, variables: { offer: 'x' }, idempotencyKey: 'req-1' },
    ]) {
      const refused = await start(other);
      expect(refused.__typename).toBe('ValidationError');
      expect(refused.issues).toEqual([
        {
          code: 'INVALID_VALUE',
          path: 'idempotencyKey',
          message:
            'This key started other runs in the last 24 hours: use a new key for a new request',
        },
      ]);
    }
    expect(await runCount()).toBe(2);
  });

  it('starts once when the same call arrives twice at the same time', async () => {
    const { contacts, start, runCount } = await setup();
    const input = { contactIds: contacts, idempotencyKey: 'same-time' };
    const [a, b] = await Promise.all([start(input), start(input)]);
    expect(a).toEqual(b);
    expect(await runCount()).toBe(2);
  });

  it('takes a key older than 24 hours as new, and keys are per workspace', async () => {
    const { workspaceId, contacts, start, runCount } = await setup();
    await start({ contactIds: contacts, idempotencyKey: 'daily' });
    await api.db
      .update(startRequests)
      .set({ createdAt: sql`now() - interval '25 hours'` })
      .where(eq(startRequests.workspaceId, workspaceId));
    expect(
      (await start({ contactIds: [contacts[0]], idempotencyKey: 'daily' })).data.runCount,
    ).toBe(1);
    expect(await runCount()).toBe(3);

    const other = await setup();
    expect(
      (await other.start({ contactIds: other.contacts, idempotencyKey: 'daily' })).data.runCount,
    ).toBe(2);
  });

  it('refuses a key with spaces, control characters or over 255 characters', async () => {
    const { contacts, start, runCount } = await setup();
    for (const idempotencyKey of ['has space', 'tab\there', '', 'k'.repeat(256), 'é']) {
      const refused = await start({ contactIds: contacts, idempotencyKey });
      expect(refused.issues, idempotencyKey).toEqual([
        expect.objectContaining({ code: 'INVALID_VALUE', path: 'idempotencyKey' }),
      ]);
    }
    expect(await runCount()).toBe(0);
  });
});
