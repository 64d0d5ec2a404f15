import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { channels, files, steps } from '../../db/schema';
import { useTestApi } from '../test-support';
import { seedLibrary, workflowClient } from '../workflows/test-fixtures';

/**
 * WhatsApp's caption limit (and Telegram's, the same number) and template parameter rule as the API applies them when a step is
 * saved and when a workflow is published, through Meta and through 360dialog alike (each
 * integration's `captionLimit`, read by api/workflows/lookups.ts).
 */
const api = useTestApi();
let client: ReturnType<typeof workflowClient>;
let library: Awaited<ReturnType<typeof seedLibrary>>;
let dialog360Id: string;
let photoId: string;
const LONG = 'x'.repeat(1025);

beforeAll(async () => {
  const workspace = await api.createWorkspace();
  client = workflowClient(api, workspace.apiKey);
  library = await seedLibrary(api.db, workspace.workspaceId);
  const [dialog] = await api.db
    .insert(channels)
    .values({
      workspaceId: workspace.workspaceId,
      type: 'whatsapp',
      provider: 'dialog360',
      name: 'WhatsApp via 360dialog',
      status: 'connected',
    })
    .returning();
  dialog360Id = dialog!.id;
  const [photo] = await api.db
    .insert(files)
    .values({
      workspaceId: workspace.workspaceId,
      name: 'photo.png',
      contentType: 'image/png',
      sizeBytes: 2048,
      url: 'https://files.example.com/photo.png',
    })
    .returning();
  photoId = photo!.id;
});

async function addStep(config: Record<string, unknown>) {
  const workflow = await client.createWorkflow('WhatsApp limits');
  return {
    workflowId: workflow.id as string,
    result: await client.run('addSendMessageStep', { input: { workflowId: workflow.id, config } }),
  };
}

describe('a WhatsApp caption over 1,024 characters', () => {
  it('is refused TEXT_TOO_LONG at its path when the step names a WhatsApp channel (Meta, 360dialog)', async () => {
    const meta = await addStep({
      channel: { kind: 'SPECIFIC', channelId: library.whatsapp.id },
      defaultMessage: { media: { fileId: photoId, caption: LONG } },
    });
    expect(meta.result.issues).toEqual([
      {
        code: 'TEXT_TOO_LONG',
        path: 'config.defaultMessage.caption',
        message:
          'Caption is 1025 characters with snippets expanded (variables counted as one); WhatsApp (Meta Cloud API) takes captions of at most 1024',
        stepId: null,
      },
    ]);
    const dialog = await addStep({
      channel: { kind: 'LAST_INTERACTED' },
      defaultMessage: { text: 'Hi' },
      channelResponses: [{ channelId: dialog360Id, media: { fileId: photoId, caption: LONG } }],
    });
    expect(dialog.result.issues?.map((issue) => [issue.code, issue.path])).toEqual([
      ['TEXT_TOO_LONG', 'config.channelResponses[0].content.caption'],
    ]);
  });

  it('is refused on Telegram too, which declares the same limit (Bot API `caption`)', async () => {
    const { result } = await addStep({
      channel: { kind: 'SPECIFIC', channelId: library.telegram.id },
      defaultMessage: { media: { fileId: photoId, caption: LONG } },
    });
    expect(result.issues?.map((issue) => [issue.code, issue.path, issue.message])).toEqual([
      [
        'TEXT_TOO_LONG',
        'config.defaultMessage.caption',
        'Caption is 1025 characters with snippets expanded (variables counted as one); Telegram (Bot API) takes captions of at most 1024',
      ],
    ]);
  });

  it('is accepted on Last Interacted, where another channel may send it', async () => {
    const { result } = await addStep({
      channel: { kind: 'LAST_INTERACTED' },
      defaultMessage: { media: { fileId: photoId, caption: LONG } },
    });
    expect(result.__typename).toBe('MutationAddSendMessageStepSuccess');
  });

  it('blocks publishing a step saved before the check', async () => {
    const { workflowId, result } = await addStep({
      channel: { kind: 'SPECIFIC', channelId: dialog360Id },
      defaultMessage: { media: { fileId: photoId, caption: 'Short' } },
    });
    const stepId = (result.data as { id: string }).id;
    await api.db
      .update(steps)
      .set({
        config: {
          channel: { kind: 'specific', channelId: dialog360Id },
          defaultMessage: { type: 'media', fileId: photoId, caption: LONG },
          channelResponses: [],
          failureBranchEnabled: false,
        },
      })
      .where(eq(steps.id, stepId));
    const published = await client.run('publishWorkflow', { workflowId });
    expect(published.__typename).toBe('PublishRejected');
    expect(published.report).toMatchObject({ errors: [{ code: 'TEXT_TOO_LONG' }] });
  });
});

describe('a WhatsApp template parameter with a line break, a tab or 5 spaces in a row', () => {
  it('is refused INVALID_VALUE at its path when the step is saved', async () => {
    const { result } = await addStep({
      channel: { kind: 'SPECIFIC', channelId: library.whatsapp.id },
      defaultMessage: { text: 'Hi' },
      channelResponses: [
        {
          channelId: library.whatsapp.id,
          whatsappTemplate: {
            templateName: 'order_update',
            languageCode: 'en',
            parameters: ['$contact.firstname', 'Line one\nline two'],
          },
        },
      ],
    });
    expect(result.issues).toEqual([
      {
        code: 'INVALID_VALUE',
        path: 'config.channelResponses[0].content.parameters[1]',
        message: 'A WhatsApp template parameter cannot hold a line break or a tab',
        stepId: null,
      },
    ]);
  });
});
