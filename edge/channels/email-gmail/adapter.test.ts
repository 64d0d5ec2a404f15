import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type GmailSendPayload,
  type GoogleStandIn,
  googleError,
  SCOPE,
  sendPayloadOf,
  startGoogle,
} from '../../../test/fakes/google';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ProviderThread } from '../types';
import {
  contact,
  GMAIL_TEST_ACCOUNT,
  gmailOutbound,
  gmailRenderInput,
  googleEndpoints,
} from './test-fixtures';

let worker: AdapterWorker;
const standIns: GoogleStandIn[] = [];

beforeAll(async () => {
  worker = await startAdapterWorker();
});

afterAll(async () => {
  await worker?.dispose();
  await Promise.all(standIns.map((google) => google.close()));
});

/**
 * A stand-in of its own per test: access tokens are cached per token endpoint and credentials
 * inside the Worker, so a fresh endpoint starts with an empty cache.
 */
async function google(): Promise<GoogleStandIn> {
  const standIn = await startGoogle(GMAIL_TEST_ACCOUNT);
  standIns.push(standIn);
  return standIn;
}

async function sendOne(standIn: GoogleStandIn, subject = 'Welcome, $contact.firstname') {
  const deliveryId = crypto.randomUUID();
  const rendered = await worker.render(gmailRenderInput(deliveryId, subject, []));
  return worker.send(gmailOutbound(deliveryId, rendered), {
    allowPrivateUrls: false,
    endpoints: googleEndpoints(standIn.url),
  });
}

describe('three sends from one workflow to one contact', () => {
  test('share one Gmail threadId, chain the RFC 5322 headers and keep the subject', async () => {
    const standIn = await google();
    const subjects = ['Welcome, $contact.firstname', 'Welcome, $contact.firstname', 'Tips'];
    const messageIds: string[] = [];
    let thread: ProviderThread | undefined;
    for (const [index, subject] of subjects.entries()) {
      const deliveryId = `00000000-0000-4000-8000-00000000000${index + 1}`;
      const rendered = await worker.render(gmailRenderInput(deliveryId, subject, [...messageIds]));
      const outcome = await worker.send(
        gmailOutbound(deliveryId, rendered, thread ? { thread } : {}),
        { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
      );
      if (outcome.status !== 'sent') throw new Error(JSON.stringify(outcome));
      expect(outcome.providerMessageId).toBe(standIn.messages[index]?.id);
      expect(outcome.providerThread).toEqual({
        id: standIn.messages[0]?.threadId,
        subject: 'Welcome, <b>Zoë</b>',
      });
      thread = outcome.providerThread;
      messageIds.push(`<${deliveryId}@example.com>`);
    }

    const [first, second, third] = standIn.messages;
    if (!first || !second || !third) throw new Error('Gmail received fewer than three messages');
    expect(new Set(standIn.messages.map((message) => message.threadId)).size).toBe(1);
    expect(first.requestedThreadId).toBeNull();
    expect(second.requestedThreadId).toBe(first.threadId);
    expect(third.requestedThreadId).toBe(first.threadId);

    expect(first.parsed.messageId).toBe(messageIds[0]);
    expect(first.parsed.inReplyTo).toBeUndefined();
    expect(second.parsed.inReplyTo).toBe(messageIds[0]);
    expect(third.parsed.inReplyTo).toBe(messageIds[1]);
    expect(third.parsed.references).toEqual([messageIds[0], messageIds[1]]);
    // Gmail joins a thread only on a matching Subject: the third step's own ("Tips") gives way.
    for (const message of standIn.messages)
      expect(message.parsed.subject).toBe('Welcome, <b>Zoë</b>');

    for (const message of standIn.messages) {
      expect(message.parsed.from?.value).toEqual([
        { address: GMAIL_TEST_ACCOUNT.mailbox, name: 'Sendflow Team' },
      ]);
      expect(message.parsed.to && 'value' in message.parsed.to && message.parsed.to.value).toEqual([
        { address: contact.email, name: '<b>Zoë</b> Lovelace' },
      ]);
      expect(message.parsed.html).toContain('Hello &lt;b&gt;Zoë&lt;/b&gt;');
      expect(message.parsed.text).toContain('Thanks for joining.');
      expect(message.raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    }

    // One access token, asked for with the refresh-token grant, served all three sends.
    const tokenRequests = standIn.tokenRequests();
    expect(tokenRequests).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(tokenRequests[0]!.body))).toEqual({
      client_id: GMAIL_TEST_ACCOUNT.clientId,
      client_secret: GMAIL_TEST_ACCOUNT.clientSecret,
      refresh_token: GMAIL_TEST_ACCOUNT.refreshToken,
      grant_type: 'refresh_token',
    });
    const authorizations = new Set(standIn.sendRequests().map((r) => r.headers.authorization));
    expect(authorizations.size).toBe(1);
    expect([...authorizations][0]).toMatch(/^Bearer ya29\./);
  });
});

describe("Gmail's own Message-IDs", () => {
  test('are read back (with a metadata grant) and named by the next email of the thread', async () => {
    const standIn = await startGoogle({
      ...GMAIL_TEST_ACCOUNT,
      scopes: [SCOPE.send, SCOPE.metadata],
      assignsMessageIds: true,
    });
    standIns.push(standIn);
    const messageIds: string[] = [];
    let thread: ProviderThread | undefined;
    for (const index of [0, 1, 2]) {
      const deliveryId = crypto.randomUUID();
      const rendered = await worker.render(gmailRenderInput(deliveryId, 'Hello', [...messageIds]));
      const outcome = await worker.send(
        gmailOutbound(deliveryId, rendered, thread ? { thread } : {}),
        { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
      );
      if (outcome.status !== 'sent') throw new Error(JSON.stringify(outcome));
      expect(outcome.messageIdHeader).toBe(standIn.messages[index]?.messageId);
      expect(outcome.messageIdHeader).toMatch(/@mail\.gmail\.com>$/);
      messageIds.push(outcome.messageIdHeader!);
      thread = outcome.providerThread;
    }
    const [first, second, third] = standIn.messages;
    expect(second?.parsed.inReplyTo).toBe(first?.messageId);
    expect(third?.parsed.references).toEqual([first?.messageId, second?.messageId]);
    expect(new Set(standIn.messages.map((message) => message.threadId)).size).toBe(1);
    const reads = standIn.requests.filter((request) => request.method === 'GET');
    expect(reads.map((request) => request.query.get('format'))).toEqual([
      'metadata',
      'metadata',
      'metadata',
    ]);
  });

  test('are not asked for with a send-only grant, which cannot read them', async () => {
    const standIn = await google();
    const outcome = await sendOne(standIn);
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(outcome.status === 'sent' && outcome.messageIdHeader).toBeFalsy();
    expect(standIn.requests.filter((request) => request.method === 'GET')).toHaveLength(0);
  });

  test('are not asked for with a gmail.compose grant: users.messages.get does not take it', async () => {
    const standIn = await startGoogle({
      ...GMAIL_TEST_ACCOUNT,
      scopes: ['https://www.googleapis.com/auth/gmail.compose'],
    });
    standIns.push(standIn);
    const outcome = await sendOne(standIn);
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(standIn.requests.filter((request) => request.method === 'GET')).toHaveLength(0);
  });
});

describe('a stored thread the mailbox no longer holds', () => {
  /** The first email of a thread, then the thread deleted, then the next email naming it. */
  async function afterDeletedThread(standIn: GoogleStandIn) {
    const firstId = crypto.randomUUID();
    const first = await worker.send(
      gmailOutbound(firstId, await worker.render(gmailRenderInput(firstId, 'Welcome', []))),
      { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
    );
    if (first.status !== 'sent' || !first.providerThread) throw new Error(JSON.stringify(first));
    standIn.deleteThread(first.providerThread.id);
    const nextId = crypto.randomUUID();
    const previous = [`<${firstId}@example.com>`];
    const rendered = await worker.render(gmailRenderInput(nextId, 'Tips', previous));
    const next = await worker.send(
      gmailOutbound(nextId, rendered, { thread: first.providerThread }),
      { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
    );
    return { first: first.providerThread, next, previous };
  }

  for (const unknownThreadAnswer of [400, 404] as const) {
    test(`(Gmail answers ${unknownThreadAnswer}) is dropped: sent again without it, the new thread reported`, async () => {
      const standIn = await startGoogle({ ...GMAIL_TEST_ACCOUNT, unknownThreadAnswer });
      standIns.push(standIn);
      const { first, next, previous } = await afterDeletedThread(standIn);
      if (next.status !== 'sent') throw new Error(JSON.stringify(next));
      const sends = standIn.sendRequests().slice(1);
      const payloads = sends.map((request) => sendPayloadOf(request) as GmailSendPayload);
      expect(payloads.map((payload) => payload.threadId)).toEqual([first.id, null]);
      // The same message both times: our own thread headers and the thread's subject stay.
      expect(payloads[0]!.raw).toBe(payloads[1]!.raw);
      const sent = standIn.messages[1]!;
      expect(sent.parsed.inReplyTo).toBe(previous[0]);
      expect(sent.parsed.subject).toBe(first.subject);
      expect(next.providerMessageId).toBe(sent.id);
      expect(next.providerThread).toEqual({ id: sent.threadId, subject: first.subject });
      expect(next.providerThread?.id).not.toBe(first.id);
    });
  }

  test('another 400 on a threaded send is content_invalid, without a second try', async () => {
    const standIn = await google();
    standIn.replyNextSend(googleError(400, 'invalidArgument', 'Invalid To header'));
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(gmailRenderInput(deliveryId, 'Hi', []));
    const outcome = await worker.send(
      gmailOutbound(deliveryId, rendered, { thread: { id: '18c0ffee00000000', subject: 'Hi' } }),
      { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
      detail: expect.stringContaining('Invalid To header'),
    });
    expect(standIn.sendRequests()).toHaveLength(1);
  });

  test('a send without a stored thread is not tried twice on a 404', async () => {
    const standIn = await google();
    standIn.replyNextSend(
      googleError(404, 'notFound', 'Requested entity was not found.', 'NOT_FOUND'),
    );
    expect(await sendOne(standIn)).toMatchObject({ status: 'failed', retryable: false });
    expect(standIn.sendRequests()).toHaveLength(1);
  });
});

describe('access tokens', () => {
  test('sends at the same time share one token request', async () => {
    const standIn = await google();
    const outcomes = await Promise.all([sendOne(standIn), sendOne(standIn), sendOne(standIn)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'sent', 'sent']);
    expect(standIn.tokenRequests()).toHaveLength(1);
  });

  test('a token near its expiry is replaced before it is used', async () => {
    const standIn = await google();
    const endpoints = googleEndpoints(standIn.url);
    const at = async (now: Date) => {
      const deliveryId = crypto.randomUUID();
      const rendered = await worker.render(gmailRenderInput(deliveryId, 'Hi', []));
      return worker.send(gmailOutbound(deliveryId, rendered), {
        allowPrivateUrls: false,
        endpoints,
        now,
      });
    };
    const start = Date.now();
    expect(await at(new Date(start))).toMatchObject({ status: 'sent' });
    // Google's tokens live 3599 s: 58 minutes later the cached one is still used…
    expect(await at(new Date(start + 58 * 60_000))).toMatchObject({ status: 'sent' });
    expect(standIn.tokenRequests()).toHaveLength(1);
    // …59 minutes later, within the last minute of its life, it is not.
    expect(await at(new Date(start + 59 * 60_000))).toMatchObject({ status: 'sent' });
    expect(standIn.tokenRequests()).toHaveLength(2);
  });

  test('a token Gmail refuses (401) is refreshed once and the send tried again', async () => {
    const standIn = await google();
    expect(await sendOne(standIn)).toMatchObject({ status: 'sent' });
    standIn.invalidateAccessTokens();
    expect(await sendOne(standIn)).toMatchObject({ status: 'sent' });
    expect(standIn.tokenRequests()).toHaveLength(2);
    expect(standIn.sendRequests()).toHaveLength(3);
    expect(standIn.messages).toHaveLength(2);
  });

  test('a second 401 after the refresh is credentials_rejected, without a third try', async () => {
    const standIn = await google();
    const unauthenticated = googleError(401, 'authError', 'Invalid Credentials', 'UNAUTHENTICATED');
    standIn.replyNextSend(unauthenticated, unauthenticated);
    expect(await sendOne(standIn)).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      retryable: false,
      detail: expect.stringContaining('authError'),
    });
    expect(standIn.tokenRequests()).toHaveLength(2);
    expect(standIn.sendRequests()).toHaveLength(2);
  });

  test('a revoked grant fails as credentials_rejected and never calls Gmail', async () => {
    const standIn = await google();
    standIn.revokeGrant();
    expect(await sendOne(standIn)).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      retryable: false,
      detail: expect.stringContaining('invalid_grant'),
    });
    expect(standIn.sendRequests()).toHaveLength(0);
  });
});

describe('nothing reaches Gmail', () => {
  test('for a subject carrying CR/LF (content_invalid)', async () => {
    const standIn = await google();
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(gmailRenderInput(deliveryId, 'Hi', []));
    if (rendered.kind !== 'email') throw new Error('expected an email');
    const outcome = await worker.send(
      gmailOutbound(deliveryId, { ...rendered, subject: 'Hi\r\nBcc: everyone@example.com' }),
      { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
    });
    expect(standIn.requests).toHaveLength(0);
  });

  test('for a malformed recipient address (no_associated_channel)', async () => {
    const standIn = await google();
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(gmailRenderInput(deliveryId, 'Hi', []));
    const outcome = await worker.send(
      gmailOutbound(deliveryId, rendered, { recipient: 'zoe@example.net>\r\nBcc: x@y.z' }),
      { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
    );
    expect(outcome).toMatchObject({ status: 'failed', reason: 'no_associated_channel' });
    expect(standIn.requests).toHaveLength(0);
  });

  test('for an email over the 35 MB users.messages.send takes (content_invalid, naming the size)', async () => {
    const standIn = await google();
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(gmailRenderInput(deliveryId, 'Hi', []));
    if (rendered.kind !== 'email') throw new Error('expected an email');
    const outcome = await worker.send(
      gmailOutbound(deliveryId, { ...rendered, html: `<p>${'x'.repeat(35_100_000)}</p>` }),
      { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
      detail: expect.stringMatching(/^the email is \d+ bytes, more than the 35000000 bytes/),
    });
    // Not even a token request: nothing is asked of Google for a message it cannot take.
    expect(standIn.requests).toHaveLength(0);
  }, 120_000);

  test('an email of 8 MB (larger than a JSON `raw` request takes) goes whole through the /upload URI', async () => {
    const standIn = await google();
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(gmailRenderInput(deliveryId, 'Hi', []));
    if (rendered.kind !== 'email') throw new Error('expected an email');
    const html = `<p>${'x'.repeat(8_000_000)}</p>`;
    const outcome = await worker.send(gmailOutbound(deliveryId, { ...rendered, html }), {
      allowPrivateUrls: false,
      endpoints: googleEndpoints(standIn.url),
    });
    expect(outcome).toMatchObject({ status: 'sent' });
    const [send] = standIn.sendRequests();
    expect(send!.path).toBe('/upload/gmail/v1/users/me/messages/send');
    expect(send!.query.get('uploadType')).toBe('multipart');
    expect(standIn.messages).toHaveLength(1);
    expect(standIn.messages[0]!.parsed.html).toContain(html);
    // The message travels as it is, not base64url-encoded in JSON (a third larger).
    expect(Buffer.byteLength(send!.body)).toBeLessThan(
      Buffer.byteLength(standIn.messages[0]!.raw) + 500,
    );
  }, 120_000);

  test('for a text message on the channel (content_invalid)', async () => {
    const standIn = await google();
    const outcome = await worker.send(
      gmailOutbound(crypto.randomUUID(), { kind: 'text', text: 'Hi' }),
      { allowPrivateUrls: false, endpoints: googleEndpoints(standIn.url) },
    );
    expect(outcome).toMatchObject({ status: 'failed', reason: 'content_invalid' });
    expect(standIn.requests).toHaveLength(0);
  });
});

test('a Gmail that cannot be reached is a retryable network failure', async () => {
  const standIn = await google();
  await sendOne(standIn);
  const url = standIn.url;
  await standIn.close();
  standIns.splice(standIns.indexOf(standIn), 1);
  expect(
    await worker.send(
      gmailOutbound(
        crypto.randomUUID(),
        await worker.render(gmailRenderInput(crypto.randomUUID(), 'Hi', [])),
      ),
      { allowPrivateUrls: false, endpoints: googleEndpoints(url) },
    ),
  ).toMatchObject({ status: 'failed', reason: 'network', retryable: true });
});
