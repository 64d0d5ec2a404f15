import { beforeAll, expect, it } from 'vitest';
import { files } from '../../db/schema';
import { publishWorkflow, seedContact, sendConfig } from '../../edge/dispatch/test-seed';
import { type TestWorkspace, useTestApi } from '../test-support';

const api = useTestApi();

const PREVIEW = /* GraphQL */ `
  query ($stepId: ID!, $contactId: ID!) {
    previewStep(stepId: $stepId, contactId: $contactId) {
      __typename
      ... on QueryPreviewStepSuccess { data { email { html } rendered } }
    }
  }
`;

let a: TestWorkspace;
let emailChannel: string;

beforeAll(async () => {
  a = await api.createWorkspace('Preview images');
  emailChannel = await api.createChannel(a.apiKey, 'EMAIL');
});

it('an email preview shows an uploaded image by its signed link, where the sent email has cid:', async () => {
  const [image] = await api.db
    .insert(files)
    .values({
      workspaceId: a.workspaceId,
      name: 'cat.png',
      contentType: 'image/png',
      sizeBytes: 1000,
      url: null,
      storageKey: `${a.workspaceId}/cat.png`,
    })
    .returning();
  const contactId = await seedContact(api.db, a.workspaceId, { email: 'ada@example.com' });
  const { stepIds } = await publishWorkflow(api.db, a.workspaceId, [
    {
      key: 'mail',
      type: 'send_message',
      config: sendConfig({
        channel: { kind: 'specific', channelId: emailChannel },
        defaultMessage: { type: 'media', fileId: image!.id, caption: 'Our cat' },
        email: { subject: 'Hi' },
      }),
    },
  ]);
  const result = await api.gql(a.apiKey, PREVIEW, { stepId: stepIds.mail, contactId });
  expect(result.errors).toBeUndefined();
  const { email, rendered } = result.data.previewStep.data;
  // What would be sent: the image as an inline part.
  expect(rendered.html).toContain(`src="cid:${image!.id}@media.sendflow"`);
  const link = rendered.media[0].url as string;
  expect(link).toMatch(new RegExp(`/media/.*${image!.id}`));
  // What the editor shows: the same HTML with the image's link.
  expect(email.html).not.toContain('cid:');
  expect(email.html).toContain(`src="${link.replaceAll('&', '&amp;')}"`);
});
