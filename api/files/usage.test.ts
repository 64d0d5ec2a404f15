import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { contacts, files, runs, segmentStarts } from '../../db/schema';
import { useTestApi } from '../test-support';
import { workflowClient } from '../workflows/test-fixtures';
import { publishedStepsSending } from './usage';

/**
 * deleteFile's hold on files that workflows still send (api/files/usage.ts), against real
 * Postgres: whatever spelling of the id the client uses, and whichever published version a
 * contact's run is on.
 */

const api = useTestApi();

const CREATE = /* GraphQL */ `
  mutation ($input: CreateFileInput!) {
    createFile(input: $input) { ... on MutationCreateFileSuccess { data { id } } }
  }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteFile(id: $id) {
      __typename
      ... on FileInUseError { fileId steps { workflowId stepId stepName } }
    }
  }
`;

async function createFile(apiKey: string, name: string): Promise<string> {
  const result = await api.gql(apiKey, CREATE, {
    input: {
      name,
      contentType: 'image/png',
      sizeBytes: 100,
      url: `https://cdn.example.com/${name}`,
    },
  });
  return result.data.createFile.data.id;
}

/** A published workflow of one email step that sends `fileId` as its media message. */
async function publishedWith(apiKey: string, fileId: string) {
  const channelId = await api.createChannel(apiKey, 'EMAIL');
  const client = workflowClient(api, apiKey);
  const workflow = await client.createWorkflow('Pictures');
  const config = (id: string) => ({
    channel: { kind: 'SPECIFIC', channelId },
    defaultMessage: { media: { fileId: id } },
  });
  const step = await client.ok('addSendMessageStep', {
    input: { workflowId: workflow.id, name: 'Picture', config: config(fileId) },
  });
  const published = await client.ok('publishWorkflow', { workflowId: workflow.id });
  return { client, workflow, step, config, versionId: published.version.id as string };
}

describe('deleteFile while workflows send the file', () => {
  it('refuses the id in upper case as it refuses it in lower case', async () => {
    const ws = await api.createWorkspace();
    const fileId = await createFile(ws.apiKey, 'cat.png');
    const { workflow, step } = await publishedWith(ws.apiKey, fileId);

    // UUIDs are case-insensitive (RFC 9562 §4): Postgres finds the row by either spelling, so
    // the check for published steps must find them by either spelling too.
    const refused = (await api.gql(ws.apiKey, DELETE, { id: fileId.toUpperCase() })).data
      .deleteFile;
    expect(refused).toMatchObject({
      __typename: 'FileInUseError',
      steps: [{ workflowId: workflow.id, stepId: step.id, stepName: 'Picture' }],
    });
    expect(await api.db.select().from(files).where(eq(files.id, fileId))).toHaveLength(1);
    // The check itself, whoever calls it: graphs hold ids in lower case.
    expect(await publishedStepsSending(api.db, ws.workspaceId, fileId.toUpperCase())).toEqual([
      {
        workflowId: workflow.id,
        workflowName: 'Pictures',
        stepId: step.id,
        stepName: 'Picture',
        config: expect.objectContaining({
          defaultMessage: expect.objectContaining({ type: 'media', fileId }),
        }),
      },
    ]);
  });

  it('refuses a file that an earlier published version sends while runs are still on it', async () => {
    const ws = await api.createWorkspace();
    const oldPicture = await createFile(ws.apiKey, 'old.png');
    const newPicture = await createFile(ws.apiKey, 'new.png');
    const { client, workflow, step, config, versionId } = await publishedWith(
      ws.apiKey,
      oldPicture,
    );
    const [contact] = await api.db
      .insert(contacts)
      .values({ workspaceId: ws.workspaceId, firstName: 'Ada', email: 'ada@example.com' })
      .returning();
    // A contact still on version 1 (e.g. waiting before the step): runs keep their version.
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

    // Version 2 sends another picture.
    await client.ok('updateSendMessageStep', {
      input: { stepId: step.id, config: config(newPicture) },
    });
    await client.ok('publishWorkflow', { workflowId: workflow.id });

    const refused = (await api.gql(ws.apiKey, DELETE, { id: oldPicture })).data.deleteFile;
    expect(refused).toMatchObject({
      __typename: 'FileInUseError',
      fileId: oldPicture,
      steps: [{ workflowId: workflow.id, stepId: step.id, stepName: 'Picture' }],
    });
    expect(await api.db.select().from(files).where(eq(files.id, oldPicture))).toHaveLength(1);

    // A segment start still starting runs on version 1 holds it too.
    await api.db.update(runs).set({ status: 'completed' }).where(eq(runs.id, run!.id));
    const [segmentStart] = await api.db
      .insert(segmentStarts)
      .values({
        workspaceId: ws.workspaceId,
        workflowId: workflow.id,
        versionId,
        filter: {},
        total: 1,
      })
      .returning();
    expect((await api.gql(ws.apiKey, DELETE, { id: oldPicture })).data.deleteFile).toMatchObject({
      __typename: 'FileInUseError',
    });

    // Once nothing runs on version 1 any more, nothing sends the old picture.
    await api.db
      .update(segmentStarts)
      .set({ status: 'completed' })
      .where(eq(segmentStarts.id, segmentStart!.id));
    expect((await api.gql(ws.apiKey, DELETE, { id: oldPicture })).data.deleteFile).toMatchObject({
      __typename: 'MutationDeleteFileSuccess',
    });
    // The current version's file is held by the published version itself, named once.
    expect((await api.gql(ws.apiKey, DELETE, { id: newPicture })).data.deleteFile).toMatchObject({
      __typename: 'FileInUseError',
      steps: [{ stepId: step.id }],
    });
  });
});
