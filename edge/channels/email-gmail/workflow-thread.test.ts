import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels, emailThreads } from '../../../db/schema';
import { type GoogleStandIn, SCOPE, startGoogle } from '../../../test/fakes/google';
import {
  publishWorkflow,
  readDeliveries,
  seedContact,
  seedWorkspace,
  sendConfig,
  waitForRun,
} from '../../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../../dispatch/test-support';
import { GMAIL_API_URL, GOOGLE_OAUTH_API_URL } from '../google/endpoints';
import { GMAIL_TEST_ACCOUNT } from './test-fixtures';

/**
 * Gmail through the whole pipeline in workerd: the channel connected through the API (its
 * check against the Google stand-in), a published workflow of three emails, the queue
 * consumer sending through the Gmail adapter. Gmail groups a thread only when the threadId and
 * the RFC 5322 headers and subject agree; the stand-in assigns threads that way.
 */

let google: GoogleStandIn;
let harness: DispatchHarness;
let setup: { workspaceId: string; apiKey: string; channelId: string; workflowId: string };

const CREATE_CHANNEL = /* GraphQL */ `
  mutation ($input: CreateChannelInput!) {
    createChannel(input: $input) {
      __typename
      ... on MutationCreateChannelSuccess { data { id provider status statusDetail } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;

beforeAll(async () => {
  // Gmail's API is reported to replace the Message-ID we write: the stand-in does too, so the
  // thread only holds if the real ids are read back and named by the next emails.
  google = await startGoogle({
    ...GMAIL_TEST_ACCOUNT,
    scopes: [SCOPE.send, SCOPE.metadata],
    assignsMessageIds: true,
  });
  harness = await startDispatchHarness({
    bindings: { [GMAIL_API_URL]: google.url, [GOOGLE_OAUTH_API_URL]: google.url },
  });
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const created = await harness.gql(apiKey, CREATE_CHANNEL, {
    input: {
      type: 'EMAIL',
      provider: 'GMAIL',
      name: 'Team Gmail',
      settings: { gmail: { fromAddress: GMAIL_TEST_ACCOUNT.mailbox, fromName: 'Sendflow' } },
      credentials: {
        gmail: {
          clientId: GMAIL_TEST_ACCOUNT.clientId,
          clientSecret: GMAIL_TEST_ACCOUNT.clientSecret,
          refreshToken: GMAIL_TEST_ACCOUNT.refreshToken,
        },
      },
    },
  });
  expect(created.data.createChannel).toMatchObject({
    __typename: 'MutationCreateChannelSuccess',
    data: {
      provider: 'GMAIL',
      status: 'CONNECTED',
      statusDetail: `Verified: Gmail mailbox ${GMAIL_TEST_ACCOUNT.mailbox}`,
    },
  });
  const channelId = created.data.createChannel.data.id as string;
  const email = (subject: string, text: string) =>
    sendConfig({
      channel: { kind: 'specific', channelId },
      defaultMessage: { type: 'text', text: 'fallback text' },
      email: { subject, body: [{ type: 'paragraph', spans: [{ text }] }] },
    });
  const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
    {
      key: 'welcome',
      type: 'send_message',
      config: email('Welcome, $contact.firstname', 'Hi $contact.firstname'),
      next: 'tips',
    },
    { key: 'tips', type: 'send_message', config: email('Tips', 'Three tips'), next: 'last' },
    { key: 'last', type: 'send_message', config: email('Last call', 'Bye') },
  ]);
  setup = { workspaceId, apiKey, channelId, workflowId };
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await google?.close();
});

describe('a workflow of three Gmail sends to one contact', () => {
  it('shares one threadId, chains the headers and keeps the thread across runs', async () => {
    const contactId = await seedContact(harness.db, setup.workspaceId, {
      firstName: 'Ada',
      email: 'ada@example.com',
    });
    const [first] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    await waitForRun(harness.db, first!, (run) => run.status === 'completed', 30_000);

    const sent = google.messages.filter((message) =>
      message.parsed.to && 'value' in message.parsed.to
        ? message.parsed.to.value.some((to) => to.address === 'ada@example.com')
        : false,
    );
    expect(sent).toHaveLength(3);
    const threadId = sent[0]!.threadId;
    expect(sent.map((message) => message.threadId)).toEqual([threadId, threadId, threadId]);
    expect(sent.map((message) => message.requestedThreadId)).toEqual([null, threadId, threadId]);
    expect(sent.map((message) => message.parsed.subject)).toEqual([
      'Welcome, Ada',
      'Welcome, Ada',
      'Welcome, Ada',
    ]);
    expect(sent.map((message) => message.parsed.text?.trim())).toEqual([
      'Hi Ada',
      'Three tips',
      'Bye',
    ]);

    const deliveries = (await readDeliveries(harness.db, first!)).sort(
      (a, b) => a.createdAt.getTime() - b.createdAt.getTime(),
    );
    expect(deliveries.map((delivery) => delivery.status)).toEqual(['sent', 'sent', 'sent']);
    expect(deliveries.map((delivery) => delivery.providerMessageId)).toEqual(
      sent.map((message) => message.id),
    );
    // The recorded Message-IDs are the ones the messages carry in the mailbox (Gmail's).
    const ids = deliveries.map((delivery) => delivery.messageIdHeader);
    expect(sent.map((message) => message.messageId)).toEqual(ids);
    expect(ids[0]).toMatch(/@mail\.gmail\.com>$/);
    expect(sent[1]!.parsed.inReplyTo).toBe(ids[0]);
    expect(sent[2]!.parsed.references).toEqual([ids[0], ids[1]]);

    const [thread] = await harness.db
      .select()
      .from(emailThreads)
      .where(eq(emailThreads.contactId, contactId));
    expect(thread).toMatchObject({
      channelId: setup.channelId,
      messageIds: ids,
      providerThreadId: threadId,
      providerThreadSubject: 'Welcome, Ada',
    });

    // A second run of the workflow to the same contact continues the same Gmail thread.
    const [second] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    await waitForRun(harness.db, second!, (run) => run.status === 'completed', 30_000);
    const later = google.messages.slice(-3);
    expect(later.map((message) => message.threadId)).toEqual([threadId, threadId, threadId]);
    expect(later[0]!.parsed.inReplyTo).toBe(ids[2]);
    // Access tokens are cached: the connection check's (the API and the queue consumer share
    // one isolate here) or at most one more served all six sends.
    expect(google.tokenRequests().length).toBeLessThanOrEqual(2);
  }, 90_000);

  it('a thread deleted from the mailbox is replaced by a new one, and the workflow goes on', async () => {
    const contactId = await seedContact(harness.db, setup.workspaceId, {
      firstName: 'Dee',
      email: 'dee@example.com',
    });
    const toDee = () =>
      google.messages.filter((message) =>
        message.parsed.to && 'value' in message.parsed.to
          ? message.parsed.to.value.some((to) => to.address === 'dee@example.com')
          : false,
      );
    const [first] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    await waitForRun(harness.db, first!, (run) => run.status === 'completed', 30_000);
    const oldThreadId = toDee()[0]!.threadId;
    google.deleteThread(oldThreadId);

    const [second] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    const run = await waitForRun(harness.db, second!, (r) => r.status !== 'active', 30_000);
    expect(run.status).toBe('completed');
    const deliveries = await readDeliveries(harness.db, second!);
    expect(deliveries.map((delivery) => delivery.status)).toEqual(['sent', 'sent', 'sent']);
    const later = toDee().slice(3);
    expect(later).toHaveLength(3);
    const newThreadId = later[0]!.threadId;
    expect(newThreadId).not.toBe(oldThreadId);
    // The first email of the second run went out again without the deleted thread; the next
    // ones name the new thread, which dispatch stored in place of the old one.
    expect(later.map((message) => message.requestedThreadId)).toEqual([
      null,
      newThreadId,
      newThreadId,
    ]);
    expect(later.map((message) => message.threadId)).toEqual([
      newThreadId,
      newThreadId,
      newThreadId,
    ]);
    const [thread] = await harness.db
      .select()
      .from(emailThreads)
      .where(eq(emailThreads.contactId, contactId));
    expect(thread).toMatchObject({
      providerThreadId: newThreadId,
      providerThreadSubject: 'Welcome, Dee',
    });
  }, 90_000);

  it('a revoked grant fails the send, puts the channel in ERROR, and later sends stop asking Google', async () => {
    google.revokeGrant();
    const contactId = await seedContact(harness.db, setup.workspaceId, {
      firstName: 'Bo',
      email: 'bo@example.com',
    });
    const before = google.messages.length;
    const [runId] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active', 30_000);
    expect(run.status).toBe('exited');
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'failed', reasonCode: 'credentials_rejected' });
    expect(delivery!.reasonDetail).toContain('invalid_grant');
    expect(google.messages).toHaveLength(before);

    const [channel] = await harness.db
      .select()
      .from(channels)
      .where(eq(channels.id, setup.channelId));
    expect(channel).toMatchObject({ status: 'error' });
    expect(channel!.statusDetail).toContain('invalid_grant');

    // The next contact's send fails at once on the channel's status: Google is not asked again.
    const tokenRequests = google.tokenRequests().length;
    const cyId = await seedContact(harness.db, setup.workspaceId, {
      firstName: 'Cy',
      email: 'cy@example.com',
    });
    const [next] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [cyId]);
    await waitForRun(harness.db, next!, (r) => r.status !== 'active', 30_000);
    const [refused] = await readDeliveries(harness.db, next!);
    expect(refused).toMatchObject({ status: 'failed', reasonCode: 'channel_not_connected' });
    expect(google.tokenRequests()).toHaveLength(tokenRequests);
  }, 60_000);
});
