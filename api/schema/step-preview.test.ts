import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { contactIdentities, deliveries, emailThreads } from '../../db/schema';
import { publishWorkflow, seedContact, sendConfig } from '../../edge/dispatch/test-seed';
import { type TestWorkspace, useTestApi } from '../test-support';

/** previewStep: what a draft Send a Message step would send to one contact, sending nothing. */

const api = useTestApi();

const PREVIEW = /* GraphQL */ `
  query ($stepId: ID!, $contactId: ID!, $variables: JSON) {
    previewStep(stepId: $stepId, contactId: $contactId, variables: $variables) {
      __typename
      ... on QueryPreviewStepSuccess {
        data {
          channel { id type }
          recipient
          failure { reasonCode detail }
          contentSource
          text
          email { subject html text messageId inReplyTo references }
          rendered
        }
      }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity id }
    }
  }
`;

let a: TestWorkspace;
let emailChannel: string;
let customChannel: string;
let whatsappChannel: string;

beforeAll(async () => {
  a = await api.createWorkspace('Preview');
  emailChannel = await api.createChannel(a.apiKey, 'EMAIL');
  customChannel = await api.createChannel(a.apiKey, 'CUSTOM');
  whatsappChannel = await api.createChannel(a.apiKey, 'WHATSAPP');
});

async function preview(stepId: string, contactId: string, variables?: Record<string, string>) {
  const result = await api.gql(a.apiKey, PREVIEW, { stepId, contactId, variables });
  expect(result.errors).toBeUndefined();
  return result.data.previewStep;
}

describe('previewStep', () => {
  it('renders an email with its subject, HTML, text part and the thread headers of earlier sends', async () => {
    const contactId = await seedContact(api.db, a.workspaceId, {
      firstName: '<b>Ada</b>',
      email: 'ada@example.com',
    });
    const { workflowId, stepIds } = await publishWorkflow(api.db, a.workspaceId, [
      {
        key: 'mail',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId: emailChannel },
          email: {
            subject: 'Hi $contact.firstname, $trigger.offer',
            body: [
              {
                type: 'paragraph',
                spans: [{ text: 'Dear $contact.firstname from $contact.country' }],
              },
            ],
          },
        }),
      },
    ]);
    await api.db.insert(emailThreads).values({
      workspaceId: a.workspaceId,
      workflowId,
      contactId,
      channelId: emailChannel,
      messageIds: ['<one@example.com>', '<two@example.com>'],
    });
    const result = await preview(stepIds.mail!, contactId, { offer: '20% off' });
    expect(result.__typename).toBe('QueryPreviewStepSuccess');
    const { data } = result;
    expect(data).toMatchObject({
      channel: { id: emailChannel, type: 'EMAIL' },
      recipient: 'ada@example.com',
      failure: null,
      contentSource: 'DEFAULT',
    });
    expect(data.email).toMatchObject({
      subject: 'Hi <b>Ada</b>, 20% off',
      messageId: '<preview@example.com>',
      inReplyTo: '<two@example.com>',
      references: ['<one@example.com>', '<two@example.com>'],
    });
    // Contact values are escaped in HTML; a variable with no value stays as written.
    expect(data.email.html).toContain('Dear &lt;b&gt;Ada&lt;/b&gt; from $contact.country');
    expect(data.email.text).toContain('Dear <b>Ada</b> from $contact.country');
    expect(data.text).toBe(data.email.text);
    expect(data.rendered.kind).toBe('email');
  });

  it("picks the channel response for the contact's last interacted channel", async () => {
    const contactId = await seedContact(api.db, a.workspaceId, {
      firstName: 'Lin',
      lastInteractedChannelId: customChannel,
    });
    const { stepIds } = await publishWorkflow(api.db, a.workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({
          channelResponses: [
            { channelId: customChannel, content: { type: 'text', text: 'Yo $contact.firstname' } },
          ],
        }),
      },
    ]);
    const { data } = await preview(stepIds.hello!, contactId);
    expect(data).toMatchObject({
      channel: { id: customChannel, type: 'CUSTOM' },
      recipient: contactId,
      contentSource: 'CHANNEL_RESPONSE',
      text: 'Yo Lin',
      email: null,
      failure: null,
      rendered: { kind: 'text', text: 'Yo Lin' },
    });
  });

  it('reports the failure a send would hit: no associated channel', async () => {
    const contactId = await seedContact(api.db, a.workspaceId, { firstName: 'Nobody' });
    const { stepIds } = await publishWorkflow(api.db, a.workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const { data } = await preview(stepIds.hello!, contactId);
    expect(data).toMatchObject({
      channel: null,
      recipient: null,
      failure: {
        reasonCode: 'NO_ASSOCIATED_CHANNEL',
        detail: 'contact has not interacted on any channel',
      },
      text: null,
      rendered: null,
    });
  });

  it('reports a closed WhatsApp messaging window, with the channel it resolved', async () => {
    const contactId = await seedContact(api.db, a.workspaceId, { phone: '+14155550100' });
    await api.db.insert(contactIdentities).values({
      workspaceId: a.workspaceId,
      contactId,
      channelId: whatsappChannel,
      address: '+14155550100',
      lastInboundAt: new Date(Date.now() - 48 * 60 * 60 * 1000),
    });
    const { stepIds } = await publishWorkflow(api.db, a.workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId: whatsappChannel } }),
      },
    ]);
    const { data } = await preview(stepIds.hello!, contactId);
    expect(data.channel).toEqual({ id: whatsappChannel, type: 'WHATSAPP' });
    expect(data.contentSource).toBe('DEFAULT');
    expect(data.failure.reasonCode).toBe('MESSAGING_WINDOW_CLOSED');
  });

  it('writes nothing', async () => {
    const contactId = await seedContact(api.db, a.workspaceId, { email: 'x@example.com' });
    const { stepIds } = await publishWorkflow(api.db, a.workspaceId, [
      {
        key: 'mail',
        type: 'send_message',
        config: sendConfig({ channel: { kind: 'specific', channelId: emailChannel } }),
      },
    ]);
    const before = [
      await api.db.$count(deliveries, eq(deliveries.workspaceId, a.workspaceId)),
      await api.db.$count(emailThreads, eq(emailThreads.contactId, contactId)),
    ];
    await preview(stepIds.mail!, contactId);
    expect([
      await api.db.$count(deliveries, eq(deliveries.workspaceId, a.workspaceId)),
      await api.db.$count(emailThreads, eq(emailThreads.contactId, contactId)),
    ]).toEqual(before);
  });

  it('refuses a wait step', async () => {
    const contactId = await seedContact(api.db, a.workspaceId);
    const { stepIds } = await publishWorkflow(api.db, a.workspaceId, [
      { key: 'pause', type: 'wait', config: { seconds: 5 } },
    ]);
    const result = await preview(stepIds.pause!, contactId);
    expect(result).toEqual({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'stepId' }],
    });
  });

  it("answers NotFoundError for another workspace's step or contact", async () => {
    const b = await api.createWorkspace('Other');
    const theirContact = await seedContact(api.db, b.workspaceId);
    const theirs = await publishWorkflow(api.db, b.workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    const ourContact = await seedContact(api.db, a.workspaceId);
    const ours = await publishWorkflow(api.db, a.workspaceId, [
      { key: 'hello', type: 'send_message', config: sendConfig() },
    ]);
    expect(await preview(theirs.stepIds.hello!, ourContact)).toMatchObject({
      __typename: 'NotFoundError',
      entity: 'Step',
    });
    expect(await preview(ours.stepIds.hello!, theirContact)).toMatchObject({
      __typename: 'NotFoundError',
      entity: 'Contact',
    });
  });
});
