import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { channels, contacts, files, snippets, steps, workflows } from '../../db/schema';
import { useTestApi } from '../test-support';
import {
  duringDelete,
  rowCounts,
  seedLibrary,
  textConfig,
  workflowClient,
} from '../workflows/test-fixtures';

const api = useTestApi();
let workspaceId: string;
let client: ReturnType<typeof workflowClient>;
let library: Awaited<ReturnType<typeof seedLibrary>>;

const VERSION = /* GraphQL */ `
  query ($id: ID!) {
    workflowVersion(id: $id) {
      id version stepCount entryStepId
      steps {
        id type nextStepId failureStepId
        config {
          __typename
          ... on SendMessageConfig { defaultMessage { ... on TextMessage { text } } }
          ... on WaitConfig { seconds }
        }
      }
    }
  }
`;

beforeAll(async () => {
  const workspace = await api.createWorkspace();
  workspaceId = workspace.workspaceId;
  client = workflowClient(api, workspace.apiKey);
  library = await seedLibrary(api.db, workspaceId);
});

/** A workflow whose steps run one after another: text → wait 60 s → text. */
async function chain(texts = ['Hello $contact.firstname', 'Still there?']) {
  const workflowId = (await client.createWorkflow('Chain')).id as string;
  const first = await client.ok('addSendMessageStep', {
    input: { workflowId, config: textConfig(library.sms.id, texts[0]) },
  });
  const last = await client.ok('addSendMessageStep', {
    input: { workflowId, config: textConfig(library.sms.id, texts[1]) },
  });
  const wait = await client.ok('addWaitStep', {
    input: { workflowId, seconds: 60, nextStepId: last.id },
  });
  await client.ok('connectSteps', { stepId: first.id, nextStepId: wait.id });
  return { workflowId, first, wait, last };
}

let readKey: string | undefined;

/** A published version, read with a read-only (partner) key. */
async function version(id: string) {
  readKey ??= await api.createKey(workspaceId, ['read']);
  const response = await api.gql(readKey, VERSION, { id });
  expect(response.errors).toBeUndefined();
  return response.data.workflowVersion;
}

/** Publishes and expects a PublishRejected whose errors have `codes`; checks nothing was written. */
async function expectRejected(workflowId: string, codes: string[]) {
  const before = await rowCounts(api.db, [workspaceId]);
  const [workflowBefore] = await api.db
    .select()
    .from(workflows)
    .where(eq(workflows.id, workflowId));
  const result = await client.run('publishWorkflow', { workflowId });
  expect(result.__typename, JSON.stringify(result)).toBe('PublishRejected');
  expect(result.report.errors.map((issue: { code: string }) => issue.code).sort()).toEqual(
    [...codes].sort(),
  );
  expect(await rowCounts(api.db, [workspaceId])).toEqual(before);
  const [workflowAfter] = await api.db.select().from(workflows).where(eq(workflows.id, workflowId));
  expect(workflowAfter).toEqual(workflowBefore);
  return result.report;
}

describe('publishWorkflow', () => {
  it('freezes the draft into version 1, then 2, and marks the workflow published', async () => {
    const { workflowId, first, wait, last } = await chain();
    const draft = await client.workflow(workflowId);
    expect(draft).toMatchObject({ status: 'DRAFT', hasUnpublishedChanges: true });

    const published = await client.ok('publishWorkflow', { workflowId });
    expect(published.version).toMatchObject({
      version: 1,
      stepCount: 3,
      entryStepId: first.id,
      report: { errors: [], warnings: [] },
    });
    expect(published.report).toEqual({ errors: [], warnings: [] });
    expect(published.workflow).toMatchObject({
      status: 'PUBLISHED',
      hasUnpublishedChanges: false,
      publishedVersion: { id: published.version.id, version: 1 },
    });

    const frozen = await version(published.version.id);
    expect(frozen.steps).toEqual([
      {
        id: first.id,
        type: 'SEND_MESSAGE',
        nextStepId: wait.id,
        failureStepId: null,
        config: {
          __typename: 'SendMessageConfig',
          defaultMessage: { text: 'Hello $contact.firstname' },
        },
      },
      {
        id: last.id,
        type: 'SEND_MESSAGE',
        nextStepId: null,
        failureStepId: null,
        config: { __typename: 'SendMessageConfig', defaultMessage: { text: 'Still there?' } },
      },
      {
        id: wait.id,
        type: 'WAIT',
        nextStepId: last.id,
        failureStepId: null,
        config: { __typename: 'WaitConfig', seconds: 60 },
      },
    ]);

    const again = await client.ok('publishWorkflow', { workflowId });
    expect(again.version.version).toBe(2);
  });

  it('keeps published versions unchanged when the draft is edited afterwards', async () => {
    const { workflowId, first, last } = await chain(['Version one text', 'Bye']);
    const v1 = await client.ok('publishWorkflow', { workflowId });

    await client.ok('updateSendMessageStep', {
      input: { stepId: first.id, config: textConfig(library.sms.id, 'Version two text') },
    });
    await client.ok('deleteStep', { stepId: last.id });
    const edited = await client.workflow(workflowId);
    expect(edited).toMatchObject({ hasUnpublishedChanges: true, publishedVersion: { version: 1 } });

    const frozen = await version(v1.version.id);
    expect(frozen.stepCount).toBe(3);
    expect(frozen.steps[0].config.defaultMessage.text).toBe('Version one text');

    const v2 = await client.ok('publishWorkflow', { workflowId });
    expect(v2.version).toMatchObject({ version: 2, stepCount: 2 });
    expect((await version(v2.version.id)).steps[0].config.defaultMessage.text).toBe(
      'Version two text',
    );
    expect((await version(v1.version.id)).steps[0].config.defaultMessage.text).toBe(
      'Version one text',
    );
  });

  it('lists unknown variables as warnings and publishes anyway', async () => {
    await api.db.insert(contacts).values({ workspaceId, customFields: { plan: 'gold' } });
    const other = await api.createWorkspace();
    await api.db
      .insert(contacts)
      .values({ workspaceId: other.workspaceId, customFields: { shoe_size: '42' } });
    const { workflowId, first } = await chain([
      'Hi $contact.firstname, your $contact.plan plan. Size $contact.shoe_size? $contact.nickname',
      'Bye',
    ]);
    const published = await client.ok('publishWorkflow', { workflowId });
    // `plan` is a custom field of this workspace's contacts; `shoe_size` only of another's.
    expect(published.report.warnings).toEqual([
      {
        code: 'UNKNOWN_VARIABLE',
        stepId: first.id,
        path: 'defaultMessage.text',
        message: expect.stringContaining('$contact.shoe_size'),
      },
      {
        code: 'UNKNOWN_VARIABLE',
        stepId: first.id,
        path: 'defaultMessage.text',
        message: expect.stringContaining('$contact.nickname'),
      },
    ]);
    expect(published.version.report.warnings).toHaveLength(2);
  });

  it('rejects a workflow with no steps', async () => {
    const workflowId = (await client.createWorkflow('Empty')).id;
    await expectRejected(workflowId, ['GRAPH_EMPTY']);
  });

  it('rejects an unreachable step', async () => {
    const { workflowId } = await chain();
    const orphan = await client.ok('addWaitStep', { input: { workflowId, seconds: 5 } });
    const report = await expectRejected(workflowId, ['GRAPH_UNREACHABLE_STEP']);
    expect(report.errors[0].stepId).toBe(orphan.id);
  });

  it('rejects a cycle', async () => {
    const { workflowId, first, last } = await chain();
    await client.ok('connectSteps', { stepId: last.id, nextStepId: first.id });
    await expectRejected(workflowId, ['GRAPH_CYCLE', 'GRAPH_CYCLE', 'GRAPH_CYCLE']);
  });

  it('rejects a dangling edge to a step outside the workflow', async () => {
    const { workflowId, last } = await chain();
    const elsewhere = await chain();
    // The API refuses such an edge; a row written another way must still not be published.
    await api.db.update(steps).set({ nextStepId: elsewhere.first.id }).where(eq(steps.id, last.id));
    await expectRejected(workflowId, ['GRAPH_DANGLING_EDGE']);
  });

  it('rejects a failure branch that is on but lost its target', async () => {
    const { workflowId, last } = await chain();
    const fallback = await client.ok('addWaitStep', { input: { workflowId, seconds: 1 } });
    await client.ok('updateSendMessageStep', {
      input: {
        stepId: last.id,
        failureStepId: fallback.id,
        config: { ...textConfig(library.sms.id), failureBranchEnabled: true },
      },
    });
    expect((await client.run('publishWorkflow', { workflowId })).__typename).toBe(
      'MutationPublishWorkflowSuccess',
    );
    // Deleting the target clears failureStepId; the toggle stays on. Drafts stay editable.
    await client.ok('deleteStep', { stepId: fallback.id });
    const report = await expectRejected(workflowId, ['FAILURE_TARGET_REQUIRED']);
    expect(report.errors[0].stepId).toBe(last.id);
  });

  it('rejects a step whose channel was disconnected after it was saved', async () => {
    const [channel] = await api.db
      .insert(channels)
      .values({ workspaceId, type: 'telegram', name: 'Bot' })
      .returning();
    const workflowId = (await client.createWorkflow()).id;
    const step = await client.ok('addSendMessageStep', {
      input: { workflowId, config: textConfig(channel!.id) },
    });
    await api.db
      .update(channels)
      .set({ status: 'disconnected' })
      .where(eq(channels.id, channel!.id));
    const report = await expectRejected(workflowId, ['CHANNEL_NOT_CONNECTED']);
    expect(report.errors[0]).toMatchObject({ stepId: step.id, path: 'channel.channelId' });
  });

  it('rejects a step that leads to itself, and one whose snippet was deleted since it was saved', async () => {
    const { workflowId, last } = await chain();
    const [snippet] = await api.db
      .insert(snippets)
      .values({ workspaceId, name: 'farewell', body: 'Cheers' })
      .returning();
    await client.ok('updateSendMessageStep', {
      input: { stepId: last.id, config: textConfig(library.sms.id, 'Bye $snippet.farewell') },
    });
    const adminKey = await api.createKey(workspaceId, ['admin']);
    const deleted = await api.gql(
      adminKey,
      'mutation ($id: ID!) { deleteSnippet(id: $id) { __typename } }',
      { id: snippet!.id },
    );
    expect(deleted.data.deleteSnippet.__typename).toBe('MutationDeleteSnippetSuccess');
    // The draft takes a loop (it may be mid-edit); the publish does not.
    await client.ok('connectSteps', { stepId: last.id, nextStepId: last.id });
    const report = await expectRejected(workflowId, ['GRAPH_CYCLE', 'UNKNOWN_SNIPPET']);
    expect(report.errors.map((issue: { stepId: string }) => issue.stepId)).toEqual([
      last.id,
      last.id,
    ]);
    // The step stays editable: a change that does not touch its text is taken.
    await client.ok('updateSendMessageStep', { input: { stepId: last.id, name: 'Renamed' } });
  });

  it('rejects a step whose channel is deleted while the publish runs, writing nothing', async () => {
    const [channel] = await api.db
      .insert(channels)
      .values({ workspaceId, type: 'sms', name: 'Going away', status: 'connected' })
      .returning();
    const workflowId = (await client.createWorkflow('Racing a delete')).id as string;
    await client.ok('addSendMessageStep', {
      input: { workflowId, config: textConfig(channel!.id) },
    });
    const before = await rowCounts(api.db, [workspaceId]);
    const result = await duringDelete(
      api.db,
      (tx) => tx.delete(channels).where(eq(channels.id, channel!.id)),
      () => client.run('publishWorkflow', { workflowId }),
    );
    expect(result.__typename).toBe('PublishRejected');
    expect(result.report.errors).toMatchObject([
      { code: 'CHANNEL_NOT_FOUND', path: 'channel.channelId' },
    ]);
    expect(await rowCounts(api.db, [workspaceId])).toEqual(before);
  });

  it('never freezes a version that sends a file deleted while the publish runs', async () => {
    const [file] = await api.db
      .insert(files)
      .values({
        workspaceId,
        name: 'gone.pdf',
        contentType: 'application/pdf',
        sizeBytes: 10,
        url: 'https://files.example.com/gone.pdf',
      })
      .returning();
    const workflowId = (await client.createWorkflow('Racing a file delete')).id as string;
    await client.ok('addSendMessageStep', {
      input: {
        workflowId,
        config: {
          channel: { kind: 'LAST_INTERACTED' },
          defaultMessage: { media: { fileId: file!.id } },
        },
      },
    });
    const result = await duringDelete(
      api.db,
      (tx) => tx.delete(files).where(eq(files.id, file!.id)),
      () => client.run('publishWorkflow', { workflowId }),
    );
    expect(result.__typename).toBe('PublishRejected');
    expect(result.report.errors).toMatchObject([
      { code: 'UNKNOWN_FILE', path: 'defaultMessage.fileId' },
    ]);
    const [workflow] = await api.db.select().from(workflows).where(eq(workflows.id, workflowId));
    expect(workflow!.publishedVersionId).toBeNull();
  });

  it('publishes twice at once as two versions, one after the other', async () => {
    const { workflowId } = await chain();
    const results = await Promise.all(
      [1, 2, 3].map(() => client.run('publishWorkflow', { workflowId })),
    );
    expect(results.map((result) => result.__typename)).toEqual([
      'MutationPublishWorkflowSuccess',
      'MutationPublishWorkflowSuccess',
      'MutationPublishWorkflowSuccess',
    ]);
    expect(results.map((result) => result.data.version.version).sort()).toEqual([1, 2, 3]);
    const workflow = await client.workflow(workflowId);
    expect(workflow.publishedVersion.version).toBe(3);
  });

  it('reports an unknown workflow as NotFoundError', async () => {
    const result = await client.run('publishWorkflow', {
      workflowId: '00000000-0000-4000-8000-000000000000',
    });
    expect(result.__typename).toBe('NotFoundError');
  });
});
