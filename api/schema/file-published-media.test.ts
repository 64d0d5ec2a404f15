import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { files } from '../../db/schema';
import { useTestApi } from '../test-support';
import { seedLibrary, workflowClient } from '../workflows/test-fixtures';

const api = useTestApi();
const MEGABYTE = 1024 * 1024;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateFileInput!) {
    updateFile(id: $id, input: $input) {
      __typename
      ... on MutationUpdateFileSuccess { data { contentType sizeBytes } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;

let apiKey: string;
let workspaceId: string;
let client: ReturnType<typeof workflowClient>;
let library: Awaited<ReturnType<typeof seedLibrary>>;

beforeAll(async () => {
  const workspace = await api.createWorkspace();
  ({ apiKey, workspaceId } = workspace);
  client = workflowClient(api, apiKey);
  library = await seedLibrary(api.db, workspaceId);
});

async function registeredImage(name: string) {
  const [row] = await api.db
    .insert(files)
    .values({
      workspaceId,
      name,
      contentType: 'image/png',
      sizeBytes: MEGABYTE,
      url: `https://cdn.example.com/${name}`,
    })
    .returning();
  return row!.id;
}

/** A published workflow whose one step sends `fileId` as an image on WhatsApp. */
async function publishedImageStep(fileId: string, publish = true) {
  const workflow = await client.createWorkflow('Media on WhatsApp');
  await client.ok('addSendMessageStep', {
    input: {
      workflowId: workflow.id,
      name: 'Poster',
      config: {
        channel: { kind: 'SPECIFIC', channelId: library.whatsapp.id },
        defaultMessage: { media: { fileId } },
      },
    },
  });
  if (publish) await client.ok('publishWorkflow', { workflowId: workflow.id });
}

async function stored(fileId: string) {
  const [row] = await api.db.select().from(files).where(eq(files.id, fileId));
  return { contentType: row!.contentType, sizeBytes: row!.sizeBytes };
}

describe("a registered file's new type or size", () => {
  it("is refused when a published step's channel cannot send it, naming the step; nothing changes", async () => {
    const fileId = await registeredImage('poster.png');
    await publishedImageStep(fileId);

    const gif = await api.gql(apiKey, UPDATE, {
      id: fileId,
      input: { contentType: 'image/gif', name: 'poster.gif' },
    });
    expect(gif.data.updateFile).toEqual({
      __typename: 'ValidationError',
      issues: [
        {
          code: 'MEDIA_NOT_ACCEPTED',
          path: 'contentType',
          message:
            'Published step "Poster" in "Media on WhatsApp" sends this file: WhatsApp (Meta Cloud API) cannot send image/gif files (poster.gif)',
        },
      ],
    });
    const big = await api.gql(apiKey, UPDATE, {
      id: fileId,
      input: { sizeBytes: 6 * MEGABYTE },
    });
    expect(big.data.updateFile.issues).toEqual([
      {
        code: 'MEDIA_NOT_ACCEPTED',
        path: 'sizeBytes',
        message:
          'Published step "Poster" in "Media on WhatsApp" sends this file: poster.png is 6 MB, over the 5 MB WhatsApp (Meta Cloud API) takes for image files',
      },
    ]);
    expect(await stored(fileId)).toEqual({ contentType: 'image/png', sizeBytes: MEGABYTE });
  });

  it('is accepted when the channels take it, or when only draft steps use the file', async () => {
    const fileId = await registeredImage('banner.png');
    await publishedImageStep(fileId);
    const jpeg = await api.gql(apiKey, UPDATE, {
      id: fileId,
      input: { contentType: 'image/jpeg', sizeBytes: 2 * MEGABYTE },
    });
    expect(jpeg.data.updateFile).toEqual({
      __typename: 'MutationUpdateFileSuccess',
      data: { contentType: 'image/jpeg', sizeBytes: 2 * MEGABYTE },
    });

    // A draft is checked again when it is published.
    const draftOnly = await registeredImage('draft.png');
    await publishedImageStep(draftOnly, false);
    const gif = await api.gql(apiKey, UPDATE, {
      id: draftOnly,
      input: { contentType: 'image/gif' },
    });
    expect(gif.data.updateFile.__typename).toBe('MutationUpdateFileSuccess');
  });
});
