import { beforeAll, describe, expect, it } from 'vitest';
import { files } from '../../db/schema';
import { useTestApi } from '../test-support';
import { seedLibrary, workflowClient } from '../workflows/test-fixtures';

const api = useTestApi();
const MEGABYTE = 1024 * 1024;
let client: ReturnType<typeof workflowClient>;
let library: Awaited<ReturnType<typeof seedLibrary>>;
let workspaceId: string;

beforeAll(async () => {
  const workspace = await api.createWorkspace();
  workspaceId = workspace.workspaceId;
  client = workflowClient(api, workspace.apiKey);
  library = await seedLibrary(api.db, workspaceId);
});

async function file(name: string, contentType: string, sizeBytes: number) {
  const [row] = await api.db
    .insert(files)
    .values({ workspaceId, name, contentType, sizeBytes, url: `https://cdn.example.com/${name}` })
    .returning();
  return row!.id;
}

async function addStep(config: Record<string, unknown>) {
  const workflow = await client.createWorkflow('Media limits');
  return client.run('addSendMessageStep', { input: { workflowId: workflow.id, config } });
}

describe('media a channel cannot send', () => {
  it('is refused when the step is saved against its specific channel', async () => {
    const tooBig = await file('poster.png', 'image/png', 6 * MEGABYTE);
    const gif = await file('dance.gif', 'image/gif', MEGABYTE);
    const whatsapp = { kind: 'SPECIFIC', channelId: library.whatsapp.id };

    const big = await addStep({ channel: whatsapp, defaultMessage: { media: { fileId: tooBig } } });
    expect(big.__typename).toBe('ValidationError');
    expect(big.issues).toEqual([
      {
        code: 'MEDIA_NOT_ACCEPTED',
        path: 'config.defaultMessage.fileId',
        message:
          'poster.png is 6 MB, over the 5 MB WhatsApp (Meta Cloud API) takes for image files',
        stepId: null,
      },
    ]);
    const type = await addStep({ channel: whatsapp, defaultMessage: { media: { fileId: gif } } });
    expect(type.issues?.map((issue) => [issue.code, issue.message])).toEqual([
      ['MEDIA_NOT_ACCEPTED', 'WhatsApp (Meta Cloud API) cannot send image/gif files (dance.gif)'],
    ]);
    // A channel response is checked against its own channel.
    const response = await addStep({
      channel: { kind: 'LAST_INTERACTED' },
      defaultMessage: { text: 'Hi' },
      channelResponses: [{ channelId: library.sms.id, media: { fileId: tooBig } }],
    });
    expect(response.issues?.map((issue) => [issue.code, issue.path])).toEqual([
      ['MEDIA_NOT_ACCEPTED', 'config.channelResponses[0].content.fileId'],
    ]);
  });

  it('is left to send time for Last Interacted, and any file goes to email', async () => {
    const tooBig = await file('big.png', 'image/png', 6 * MEGABYTE);
    expect(
      (
        await addStep({
          channel: { kind: 'LAST_INTERACTED' },
          defaultMessage: { media: { fileId: tooBig } },
        })
      ).__typename,
    ).toBe('MutationAddSendMessageStepSuccess');
    expect(
      (
        await addStep({
          channel: { kind: 'SPECIFIC', channelId: library.email.id },
          defaultMessage: { media: { fileId: tooBig } },
          email: { attachments: [library.file.id] },
        })
      ).__typename,
    ).toBe('MutationAddSendMessageStepSuccess');
  });

  it('refuses email attachments that are not in the library', async () => {
    const result = await addStep({
      channel: { kind: 'SPECIFIC', channelId: library.email.id },
      defaultMessage: { text: 'Hi' },
      email: { attachments: [library.file.id, '00000000-0000-4000-8000-000000000000'] },
    });
    expect(result.issues?.map((issue) => [issue.code, issue.path])).toEqual([
      ['UNKNOWN_FILE', 'config.email.attachments[1]'],
    ]);
  });

  it('refuses a file attached twice (in any letter case) at the index of the repeat', async () => {
    const result = await addStep({
      channel: { kind: 'SPECIFIC', channelId: library.email.id },
      defaultMessage: { text: 'Hi' },
      email: { attachments: [library.file.id, library.file.id.toUpperCase()] },
    });
    expect(result.issues?.map((issue) => [issue.code, issue.path])).toEqual([
      ['INVALID_VALUE', 'config.email.attachments[1]'],
    ]);
  });
});
