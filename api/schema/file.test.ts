import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { files, runs } from '../../db/schema';
import { startingRunsLock } from '../../db/start-runs';
import { seedContact } from '../../edge/dispatch/test-seed';
import { useTestApi } from '../test-support';
import { duringDelete, textConfig, workflowClient } from '../workflows/test-fixtures';

const api = useTestApi();

const CREATE = /* GraphQL */ `
  mutation ($input: CreateFileInput!) {
    createFile(input: $input) {
      __typename
      ... on MutationCreateFileSuccess { data { id name contentType sizeBytes url } }
      ... on ValidationError { issues { code path } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateFileInput!) {
    updateFile(id: $id, input: $input) {
      __typename
      ... on MutationUpdateFileSuccess { data { name contentType sizeBytes url } }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity id }
    }
  }
`;
const image = {
  name: 'welcome.png',
  contentType: 'image/png',
  sizeBytes: 48213,
  url: 'https://cdn.example.com/welcome.png',
};

/** A published workflow "Media" whose one step, "Welcome picture", sends with `config`. */
async function publishedPictureStep(apiKey: string, config: Record<string, unknown>) {
  const client = workflowClient(api, apiKey);
  const workflow = await client.createWorkflow('Media');
  const step = await client.ok('addSendMessageStep', {
    input: { workflowId: workflow.id, name: 'Welcome picture', config },
  });
  const version = await client.ok('publishWorkflow', { workflowId: workflow.id });
  return { client, workflow, step, version };
}

describe('files', () => {
  it('registers a file, updates it and deletes it', async () => {
    const ws = await api.createWorkspace();
    const created = await api.gql(ws.apiKey, CREATE, {
      input: { ...image, contentType: 'IMAGE/PNG' },
    });
    const file = created.data.createFile.data;
    expect(file).toMatchObject(image);
    const updated = await api.gql(ws.apiKey, UPDATE, { id: file.id, input: { name: 'hello.png' } });
    expect(updated.data.updateFile.data).toEqual({ ...image, name: 'hello.png' });
    const DELETE =
      'mutation ($id: ID!) { deleteFile(id: $id) { __typename ... on NotFoundError { entity } } }';
    expect((await api.gql(ws.apiKey, DELETE, { id: file.id })).data.deleteFile.__typename).toBe(
      'MutationDeleteFileSuccess',
    );
    expect(
      (await api.gql(ws.apiKey, 'query ($id: ID!) { file(id: $id) { id } }', { id: file.id })).data
        .file,
    ).toBeNull();
  });

  it('requires an https URL, a MIME type, a name and a non-negative size', async () => {
    const ws = await api.createWorkspace();
    const result = await api.gql(ws.apiKey, CREATE, {
      input: { name: ' ', contentType: 'png', sizeBytes: -1, url: 'http://cdn.example.com/a.png' },
    });
    expect(result.data.createFile.issues).toEqual([
      { code: 'INVALID_FILE_NAME', path: 'name' },
      { code: 'INVALID_VALUE', path: 'contentType' },
      { code: 'INVALID_VALUE', path: 'sizeBytes' },
      { code: 'INVALID_URL', path: 'url' },
    ]);
    const update = await api.gql(ws.apiKey, UPDATE, {
      id: '00000000-0000-4000-8000-000000000000',
      input: { url: 'javascript:alert(1)' },
    });
    expect(update.data.updateFile.issues).toEqual([{ code: 'INVALID_URL', path: 'url' }]);
  });

  it('refuses a URL on a loopback, private or metadata address, as outbound URLs are', async () => {
    const ws = await api.createWorkspace();
    // Providers and partners fetch a registered file's URL: one on our own network is refused
    // in production (ALLOW_PRIVATE_URLS unset), as channel endpoints and webhooks are.
    for (const url of [
      'https://127.0.0.1/a.png',
      'https://10.0.0.8/a.png',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/a.png',
      'https://localhost/a.png',
      'https://metadata.google.internal/a.png',
    ]) {
      const created = await api.gql(ws.apiKey, CREATE, { input: { ...image, url } });
      expect(created.data.createFile.issues, url).toEqual([{ code: 'INVALID_URL', path: 'url' }]);
    }
    const file = (await api.gql(ws.apiKey, CREATE, { input: image })).data.createFile.data;
    const update = await api.gql(ws.apiKey, UPDATE, {
      id: file.id,
      input: { url: 'https://192.168.1.1/a.png' },
    });
    expect(update.data.updateFile.issues).toEqual([{ code: 'INVALID_URL', path: 'url' }]);
    const [row] = await api.db.select().from(files).where(eq(files.id, file.id));
    expect(row!.url).toBe(image.url);
  });

  it('lists files and filters by name and content type prefix', async () => {
    const ws = await api.createWorkspace();
    await api.gql(ws.apiKey, CREATE, { input: image });
    await api.gql(ws.apiKey, CREATE, {
      input: { ...image, name: 'terms.pdf', contentType: 'application/pdf' },
    });
    await api.gql(ws.apiKey, CREATE, {
      input: { ...image, name: 'banner.jpg', contentType: 'image/jpeg' },
    });
    const names = async (filter: Record<string, string> | null) => {
      const result = await api.gql(
        ws.apiKey,
        'query ($f: FileFilter) { files(filter: $f) { totalCount nodes { name } } }',
        { f: filter },
      );
      expect(result.data.files.totalCount).toBe(result.data.files.nodes.length);
      return result.data.files.nodes.map((n: { name: string }) => n.name);
    };
    expect(await names(null)).toEqual(['welcome.png', 'terms.pdf', 'banner.jpg']);
    expect(await names({ contentTypePrefix: 'image/' })).toEqual(['welcome.png', 'banner.jpg']);
    expect(await names({ search: 'TERMS' })).toEqual(['terms.pdf']);
  });
});

const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteFile(id: $id) {
      __typename
      ... on FileInUseError { message fileId steps { workflowId workflowName stepId stepName } }
      ... on NotFoundError { entity }
    }
  }
`;

describe('the file library', () => {
  it('refuses names with path separators or control characters, and changes nothing', async () => {
    const ws = await api.createWorkspace();
    const file = (await api.gql(ws.apiKey, CREATE, { input: image })).data.createFile.data;
    for (const name of ['../etc/passwd', 'a\\b.png', 'cat\n.png', 'cat\u202Egnp.exe', '..']) {
      const result = await api.gql(ws.apiKey, UPDATE, { id: file.id, input: { name } });
      expect(result.data.updateFile.issues, name).toEqual([
        { code: 'INVALID_FILE_NAME', path: 'name' },
      ]);
    }
    const [row] = await api.db.select().from(files).where(eq(files.id, file.id));
    expect(row!.name).toBe('welcome.png');
  });

  it('refuses to delete a file that a published step sends, naming the step', async () => {
    const ws = await api.createWorkspace();
    const channelId = await api.createChannel(ws.apiKey, 'EMAIL');
    const file = (await api.gql(ws.apiKey, CREATE, { input: image })).data.createFile.data;
    const attachment = (
      await api.gql(ws.apiKey, CREATE, {
        input: { ...image, name: 'terms.pdf', contentType: 'application/pdf' },
      })
    ).data.createFile.data;
    const { workflow, step } = await publishedPictureStep(ws.apiKey, {
      channel: { kind: 'SPECIFIC', channelId },
      defaultMessage: { media: { fileId: file.id } },
      email: { attachments: [attachment.id] },
    });

    for (const id of [file.id, attachment.id]) {
      const refused = (await api.gql(ws.apiKey, DELETE, { id })).data.deleteFile;
      expect(refused).toMatchObject({
        __typename: 'FileInUseError',
        fileId: id,
        steps: [
          {
            workflowId: workflow.id,
            workflowName: 'Media',
            stepId: step.id,
            stepName: 'Welcome picture',
          },
        ],
      });
      expect(refused.message).toContain('"Welcome picture" in "Media"');
      expect(await api.db.select().from(files).where(eq(files.id, id))).toHaveLength(1);
    }
    // Another workspace's published steps never hold a file back.
    const unused = (await api.gql(ws.apiKey, CREATE, { input: image })).data.createFile.data;
    expect((await api.gql(ws.apiKey, DELETE, { id: unused.id })).data.deleteFile.__typename).toBe(
      'MutationDeleteFileSuccess',
    );
  });

  it('waits for a start of the version before a publish, then refuses the file its run sends', async () => {
    const ws = await api.createWorkspace();
    const channelId = await api.createChannel(ws.apiKey, 'EMAIL');
    const file = (await api.gql(ws.apiKey, CREATE, { input: image })).data.createFile.data;
    const {
      client,
      workflow,
      step,
      version: version1,
    } = await publishedPictureStep(ws.apiKey, {
      channel: { kind: 'SPECIFIC', channelId },
      defaultMessage: { media: { fileId: file.id } },
    });
    await client.ok('updateSendMessageStep', {
      input: { stepId: step.id, config: textConfig(channelId, 'No picture today') },
    });
    await client.ok('publishWorkflow', { workflowId: workflow.id });
    const contactId = await seedContact(api.db, ws.workspaceId);
    // A start that read version 1 before version 2 was published has taken the start locks and
    // inserted its run, uncommitted, when the delete checks: the delete waits for it
    // (duringDelete fails if it does not), then sees the run.
    const result = await duringDelete(
      api.db,
      async (tx) => {
        await tx.execute(startingRunsLock(ws.workspaceId, workflow.id));
        await tx.insert(runs).values({
          workspaceId: ws.workspaceId,
          workflowId: workflow.id,
          versionId: version1.version.id,
          contactId,
          currentStepId: step.id,
        });
      },
      () => api.gql(ws.apiKey, DELETE, { id: file.id }),
    );
    expect(result.data.deleteFile).toMatchObject({
      __typename: 'FileInUseError',
      steps: [{ stepId: step.id }],
    });
    expect(await api.db.select().from(files).where(eq(files.id, file.id))).toHaveLength(1);
  });

  it("renames an upload, but its type, size and URL stay its bytes'", async () => {
    const ws = await api.createWorkspace();
    const [row] = await api.db
      .insert(files)
      .values({
        workspaceId: ws.workspaceId,
        name: 'cat.png',
        contentType: 'image/png',
        sizeBytes: 100,
        storageKey: `${ws.workspaceId}/cat`,
      })
      .returning();
    const refused = await api.gql(ws.apiKey, UPDATE, {
      id: row!.id,
      input: { contentType: 'application/pdf', sizeBytes: 1, url: 'https://cdn.example.com/x' },
    });
    expect(refused.data.updateFile.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'contentType' },
      { code: 'INVALID_VALUE', path: 'sizeBytes' },
      { code: 'INVALID_VALUE', path: 'url' },
    ]);
    // A name claiming another type is refused as on upload; one without a known extension is not.
    const lying = await api.gql(ws.apiKey, UPDATE, { id: row!.id, input: { name: 'invoice.pdf' } });
    expect(lying.data.updateFile.issues).toEqual([{ code: 'FILE_TYPE_MISMATCH', path: 'name' }]);
    expect((await api.db.select().from(files).where(eq(files.id, row!.id)))[0]!.name).toBe(
      'cat.png',
    );
    const plain = await api.gql(ws.apiKey, UPDATE, { id: row!.id, input: { name: 'kitten' } });
    expect(plain.data.updateFile.data).toMatchObject({ name: 'kitten' });
    const renamed = await api.gql(ws.apiKey, UPDATE, {
      id: row!.id,
      input: { name: 'kitten.png' },
    });
    expect(renamed.data.updateFile.data).toMatchObject({
      name: 'kitten.png',
      contentType: 'image/png',
    });
    // An upload's url is a signed link to the Worker, valid for an hour.
    const url = new URL(renamed.data.updateFile.data.url);
    expect(url.pathname).toBe(`/media/${row!.id}.png`);
    expect(Number(url.searchParams.get('expires')) * 1000).toBeGreaterThan(Date.now());
  });

  it('answers UploadsUnavailableError where no media bucket is bound', async () => {
    const ws = await api.createWorkspace();
    const UPLOAD = /* GraphQL */ `
      mutation ($file: Upload!) {
        uploadFile(file: $file) { __typename ... on Error { message } }
      }
    `;
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } }));
    form.set('map', JSON.stringify({ 0: ['variables.file'] }));
    form.set('0', new File(['hello'], 'hello.txt', { type: 'text/plain' }));
    const response = await api.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.apiKey}` },
      body: form,
    });
    const body = (await response.json()) as { data: { uploadFile: { __typename: string } } };
    expect(body.data.uploadFile.__typename).toBe('UploadsUnavailableError');
  });
});
