import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { contacts, runs, snippets } from '../../db/schema';
import { startingRunsLock } from '../../db/start-runs';
import { seedContact } from '../../edge/dispatch/test-seed';
import { useTestApi } from '../test-support';
import { duringDelete, type Transaction, workflowClient } from '../workflows/test-fixtures';

/**
 * deleteSnippet and updateSnippet's hold on snippets that published steps use by name: their
 * messages would otherwise go out with the literal `$snippet.<name>`, as a deleted file would
 * not go out at all (deleteFile's FileInUseError).
 */

const api = useTestApi();

const CREATE = /* GraphQL */ `
  mutation ($input: CreateSnippetInput!) {
    createSnippet(input: $input) {
      __typename
      ... on MutationCreateSnippetSuccess { data { id name } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateSnippetInput!) {
    updateSnippet(id: $id, input: $input) {
      __typename
      ... on MutationUpdateSnippetSuccess { data { id name body } }
      ... on ValidationError { issues { code path message } }
      ... on SnippetInUseError { message snippetId steps { workflowId workflowName stepId stepName } }
    }
  }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteSnippet(id: $id) {
      __typename
      ... on MutationDeleteSnippetSuccess { data }
      ... on SnippetInUseError { message snippetId steps { workflowId workflowName stepId stepName } }
    }
  }
`;

async function createSnippet(apiKey: string, name: string, body = 'Kind regards') {
  const result = await api.gql(apiKey, CREATE, { input: { name, body } });
  expect(result.data.createSnippet.__typename).toBe('MutationCreateSnippetSuccess');
  return result.data.createSnippet.data.id as string;
}

/** A workflow of one SMS step saying `text`, published. */
async function publishedWith(apiKey: string, text: string) {
  const channelId = await api.createChannel(apiKey, 'EMAIL');
  const client = workflowClient(api, apiKey);
  const workflow = await client.createWorkflow('Follow-up');
  const config = (body: string) => ({
    channel: { kind: 'SPECIFIC', channelId },
    defaultMessage: { text: body },
  });
  const step = await client.ok('addSendMessageStep', {
    input: { workflowId: workflow.id, name: 'Thanks', config: config(text) },
  });
  const published = await client.ok('publishWorkflow', { workflowId: workflow.id });
  return { client, workflow, step, config, versionId: published.version.id as string };
}

async function stored(id: string) {
  return (await api.db.select().from(snippets).where(eq(snippets.id, id)))[0];
}

describe('a snippet that published steps use', () => {
  it('is neither deleted nor renamed, naming the steps; its body may still change', async () => {
    const ws = await api.createWorkspace();
    const id = await createSnippet(ws.apiKey, 'signature');
    // "sig" is a prefix of the name used, and is used by nothing.
    const prefix = await createSnippet(ws.apiKey, 'sig');
    const { workflow, step } = await publishedWith(ws.apiKey, 'Thanks!\n$snippet.signature');
    const inUse = {
      __typename: 'SnippetInUseError',
      snippetId: id,
      message: expect.stringContaining('"Thanks" in "Follow-up"'),
      steps: [
        { workflowId: workflow.id, workflowName: 'Follow-up', stepId: step.id, stepName: 'Thanks' },
      ],
    };

    expect((await api.gql(ws.apiKey, DELETE, { id })).data.deleteSnippet).toEqual(inUse);
    const rename = await api.gql(ws.apiKey, UPDATE, { id, input: { name: 'sign_off' } });
    expect(rename.data.updateSnippet).toEqual(inUse);
    expect(await stored(id)).toMatchObject({ name: 'signature', body: 'Kind regards' });

    const body = await api.gql(ws.apiKey, UPDATE, {
      id,
      input: { name: 'signature', body: 'Best wishes' },
    });
    expect(body.data.updateSnippet).toMatchObject({
      __typename: 'MutationUpdateSnippetSuccess',
      data: { name: 'signature', body: 'Best wishes' },
    });
    expect((await api.gql(ws.apiKey, DELETE, { id: prefix })).data.deleteSnippet).toEqual({
      __typename: 'MutationDeleteSnippetSuccess',
      data: prefix,
    });

    // Another workspace's snippet of the same name is its own.
    const other = await api.createWorkspace();
    const theirs = await createSnippet(other.apiKey, 'signature');
    expect((await api.gql(other.apiKey, DELETE, { id: theirs })).data.deleteSnippet).toEqual({
      __typename: 'MutationDeleteSnippetSuccess',
      data: theirs,
    });
  });

  it('is held while runs are on an earlier version that uses it, and freed after', async () => {
    const ws = await api.createWorkspace();
    const id = await createSnippet(ws.apiKey, 'coupon', 'SPRING10');
    const { client, workflow, step, config, versionId } = await publishedWith(
      ws.apiKey,
      'Your code: $snippet.coupon',
    );
    const [contact] = await api.db
      .insert(contacts)
      .values({ workspaceId: ws.workspaceId, firstName: 'Ada', email: 'ada@example.com' })
      .returning();
    const [run] = await api.db
      .insert(runs)
      .values({
        workspaceId: ws.workspaceId,
        workflowId: workflow.id,
        versionId,
        contactId: contact!.id,
        currentStepId: step.id,
      })
      .returning();
    // Version 2 no longer uses it; a draft that does not use it holds nothing either.
    await client.ok('updateSendMessageStep', {
      input: { stepId: step.id, config: config('No code today') },
    });
    await client.ok('publishWorkflow', { workflowId: workflow.id });

    expect((await api.gql(ws.apiKey, DELETE, { id })).data.deleteSnippet).toMatchObject({
      __typename: 'SnippetInUseError',
      steps: [{ stepId: step.id }],
    });
    await api.db.update(runs).set({ status: 'completed' }).where(eq(runs.id, run!.id));
    expect((await api.gql(ws.apiKey, DELETE, { id })).data.deleteSnippet).toEqual({
      __typename: 'MutationDeleteSnippetSuccess',
      data: id,
    });
    expect(await stored(id)).toBeUndefined();
  });

  it('is held by a start of the earlier version committing while it is deleted or renamed', async () => {
    const ws = await api.createWorkspace();
    const id = await createSnippet(ws.apiKey, 'coupon', 'SPRING10');
    const { client, workflow, step, config, versionId } = await publishedWith(
      ws.apiKey,
      'Your code: $snippet.coupon',
    );
    const contactId = await seedContact(api.db, ws.workspaceId);
    await client.ok('updateSendMessageStep', {
      input: { stepId: step.id, config: config('No code today') },
    });
    await client.ok('publishWorkflow', { workflowId: workflow.id });
    // A start that read version 1 before version 2 was published: it has taken the start locks
    // and inserted its run, uncommitted, when the delete (then the rename) checks; each must
    // wait for it (duringDelete fails if it does not) and then see the run.
    const startOfVersion1 = (tx: Transaction) =>
      tx.execute(startingRunsLock(ws.workspaceId, workflow.id)).then(() =>
        tx.insert(runs).values({
          workspaceId: ws.workspaceId,
          workflowId: workflow.id,
          versionId,
          contactId,
          currentStepId: step.id,
        }),
      );
    const deleted = await duringDelete(api.db, startOfVersion1, () =>
      api.gql(ws.apiKey, DELETE, { id }),
    );
    expect(deleted.data.deleteSnippet).toMatchObject({
      __typename: 'SnippetInUseError',
      steps: [{ stepId: step.id }],
    });
    const renamed = await duringDelete(api.db, startOfVersion1, () =>
      api.gql(ws.apiKey, UPDATE, { id, input: { name: 'voucher' } }),
    );
    expect(renamed.data.updateSnippet.__typename).toBe('SnippetInUseError');
    expect(await stored(id)).toMatchObject({ name: 'coupon' });
  });

  it('used only by a draft may be deleted (the draft then fails UNKNOWN_SNIPPET)', async () => {
    const ws = await api.createWorkspace();
    const id = await createSnippet(ws.apiKey, 'footer');
    const client = workflowClient(api, ws.apiKey);
    const channelId = await api.createChannel(ws.apiKey, 'EMAIL');
    const workflow = await client.createWorkflow('Draft');
    await client.ok('addSendMessageStep', {
      input: {
        workflowId: workflow.id,
        config: {
          channel: { kind: 'SPECIFIC', channelId },
          defaultMessage: { text: '$snippet.footer' },
        },
      },
    });
    expect((await api.gql(ws.apiKey, DELETE, { id })).data.deleteSnippet).toEqual({
      __typename: 'MutationDeleteSnippetSuccess',
      data: id,
    });
    const rejected = await client.run('publishWorkflow', { workflowId: workflow.id });
    expect(rejected.__typename).toBe('PublishRejected');
  });
});

describe('a snippet body', () => {
  it('may not use another snippet, which would be sent as written', async () => {
    const ws = await api.createWorkspace();
    const created = await api.gql(ws.apiKey, CREATE, {
      input: { name: 'outer', body: 'Thanks. $snippet.footer' },
    });
    expect(created.data.createSnippet).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'body' }],
    });
    const id = await createSnippet(ws.apiKey, 'outer', 'Thanks.');
    const updated = await api.gql(ws.apiKey, UPDATE, {
      id,
      input: { body: 'Thanks. $snippet.Footer' },
    });
    expect(updated.data.updateSnippet).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'body' }],
    });
    expect(await stored(id)).toMatchObject({ body: 'Thanks.' });
  });
});
