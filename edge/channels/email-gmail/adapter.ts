import { isMessageId } from '../../render/thread-headers';
import { readChannel } from '../channel-config';
import { gmailUploadUrl, gmailUrl } from '../google/endpoints';
import { classifyGoogleAnswer, googleErrorOf } from '../google/errors';
import { type AccessToken, type GoogleCredentials, googleAccessToken } from '../google/oauth';
import { callProvider, isSuccess } from '../http/classify';
import { outboundMime } from '../smtp/outbound-mime';
import {
  type AdapterOptions,
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  permanentFailure,
} from '../types';
import { emailGmailDefinition } from './definition';
import { GMAIL_FAILURES } from './failures';

/** Who answers, in failure details. */
export const GMAIL_API = 'Gmail API';

/**
 * The largest message users.messages.send takes: "Maximum file size: 35MB", "Accepted Media
 * MIME types: message/*" (Gmail API reference, users.messages.send, the media upload it
 * supports), the RFC 2822 message sent through the method's /upload URI. A larger one is refused
 * before any call, with its size in the detail: Gmail's own answer to an oversized request is
 * a bare 400 or 413 (often an HTML page) that names no size, and it would be sent again on no
 * retry anyway.
 */
export const GMAIL_MAX_MESSAGE_BYTES = 35 * 1000 * 1000;

/** The message's id and thread of a send answer (Gmail API, users.messages.send, response). */
function sentMessage(body: string): { id: string | null; threadId: string | null } {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; threadId?: unknown };
    return {
      id: typeof parsed.id === 'string' && parsed.id !== '' ? parsed.id : null,
      threadId:
        typeof parsed.threadId === 'string' && parsed.threadId !== '' ? parsed.threadId : null,
    };
  } catch {
    return { id: null, threadId: null };
  }
}

/**
 * Gmail's answer to a send naming a thread the mailbox does not hold (the user deleted it, or
 * the id is another mailbox's). Google documents no answer for this case (users.messages.send
 * and "Resolve errors" say nothing of it); Gmail is observed, by several public API clients
 * that send again without the thread on it, to answer 400 "Invalid thread_id value", and 404
 * `notFound` "Requested entity was not found." for a stale thread. A 400 counts only when its
 * message names the thread, so an invalid message (bad header, too large) still fails as
 * content_invalid.
 */
export function isUnknownThread(answer: { status: number; body: string }): boolean {
  if (answer.status === 404) return true;
  if (answer.status !== 400) return false;
  const error = googleErrorOf(answer.body);
  return error !== null && /thread/i.test(error.message);
}

/**
 * Scopes that allow users.messages.get with `format=metadata` (Gmail API, users.messages.get,
 * "Authorization scopes"); gmail.send alone does not.
 */
export const GMAIL_READ_SCOPES: readonly string[] = [
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://www.googleapis.com/auth/gmail.readonly',
  'https://www.googleapis.com/auth/gmail.metadata',
];

/** The Message-ID header in a users.messages.get answer (`payload.headers[]`), if any. */
function messageIdHeaderOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as {
      payload?: { headers?: { name?: unknown; value?: unknown }[] };
    };
    const header = parsed.payload?.headers?.find(
      (entry) => typeof entry.name === 'string' && entry.name.toLowerCase() === 'message-id',
    );
    const value = typeof header?.value === 'string' ? header.value.trim() : '';
    return isMessageId(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The Message-ID the sent message carries in the mailbox: Gmail's API may replace the one we
 * wrote, and the thread's next emails must name the real one. Read with users.messages.get
 * (`format=metadata`, `metadataHeaders=Message-ID`) when the grant allows it; any trouble
 * leaves ours (the message is sent either way).
 */
async function readBackMessageId(
  token: AccessToken,
  gmailId: string,
  context: { endpoints: AdapterOptions['endpoints']; timeoutMs: number },
): Promise<string | null> {
  if (!token.scopes.some((scope) => GMAIL_READ_SCOPES.includes(scope))) return null;
  const query = new URLSearchParams({ format: 'metadata', metadataHeaders: 'Message-ID' });
  const call = await callProvider(
    `${gmailUrl(context.endpoints, `messages/${encodeURIComponent(gmailId)}`)}?${query}`,
    { method: 'GET', headers: { authorization: `Bearer ${token.accessToken}` } },
    { who: GMAIL_API, timeoutMs: context.timeoutMs },
  );
  return call.ok && isSuccess(call.answer) ? messageIdHeaderOf(call.answer.body) : null;
}

/**
 * The body of a multipart upload to users.messages.send ("Uploading Attachments", "Multipart
 * upload"): `multipart/related`, exactly two parts, the metadata first (`application/json`:
 * `{ threadId }` or `{}`), the media second (`message/rfc822`: the RFC 2822 message as it is),
 * the final boundary followed by two hyphens. The boundary is random and checked against the
 * message, which must not contain it (RFC 2046 §5.1.1).
 */
export function multipartUpload(
  mime: string,
  threadId: string | null,
): { contentType: string; body: string } {
  let boundary: string;
  do boundary = `sendflow_${crypto.randomUUID().replaceAll('-', '')}`;
  while (mime.includes(boundary));
  const metadata = JSON.stringify(threadId ? { threadId } : {});
  return {
    contentType: `multipart/related; boundary=${boundary}`,
    body:
      `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${metadata}\r\n` +
      `--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n${mime}\r\n--${boundary}--`,
  };
}

/**
 * Sends through the Gmail API: `POST <GMAIL_API_URL>/upload/gmail/v1/users/me/messages/send
 * ?uploadType=multipart` with the metadata `{ threadId }` and the RFC 2822 message as media
 * (Gmail API, users.messages.send, which "supports an /upload URI"; "Uploading Attachments",
 * "Multipart upload"; "Sending Email"), authorised by an access token from the channel's
 * refresh token (google/oauth.ts). Not the metadata URI with `{ raw }` (the message
 * base64url-encoded in JSON): the upload guide keeps that for data of "5 MB or less", and
 * Gmail refuses larger `raw` requests (413), where emails with attachments go up to 35 MB;
 * the upload also sends the message as it is, a third smaller than base64. A 401 means the cached token was revoked
 * early: the token is refreshed once and the send tried once more.
 *
 * Threads: Gmail puts a message into an existing thread only when the request names the
 * `threadId`, `References`/`In-Reply-To` follow RFC 2822 and the Subject matches (Gmail API,
 * Message resource, `threadId`). The first send of a workflow to a contact starts a thread;
 * later ones name it and carry its subject. Gmail's API may give the message a Message-ID of
 * its own; when the grant can read metadata, the real one is read back and recorded, so the
 * next email's In-Reply-To/References name what recipients hold. Gmail takes no idempotency key: a delivery re-sent
 * after a crash between Gmail's answer and our record may arrive twice (the claim's lease
 * makes that rare). A stored thread Gmail no longer knows (isUnknownThread) is dropped: the
 * message goes out once more without `threadId`, starting a new thread that is reported as
 * `providerThread` and replaces the stored one.
 */
export const emailGmailAdapter: ChannelAdapter = {
  async send(message, options) {
    const read = readChannel(emailGmailDefinition, message.channel, options);
    if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
    const { settings, credentials } = read;
    if (!credentials?.clientId || !credentials.clientSecret || !credentials.refreshToken) {
      return permanentFailure('channel_not_connected', 'the channel has no OAuth credentials');
    }
    const google: GoogleCredentials = {
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      refreshToken: credentials.refreshToken,
    };
    const thread = message.providerThread ?? null;
    const now = options.now?.() ?? new Date();
    const built = await outboundMime(message, {
      from: { address: settings.fromAddress, name: settings.fromName ?? undefined },
      date: now,
      ...(thread ? { subject: thread.subject } : {}),
      ...(options.media ? { media: options.media } : {}),
    });
    if (!built.ok) return built.outcome;

    const bytes = new TextEncoder().encode(built.mime);
    if (bytes.length > GMAIL_MAX_MESSAGE_BYTES) {
      return permanentFailure(
        'content_invalid',
        `the email is ${bytes.length} bytes, more than the ${GMAIL_MAX_MESSAGE_BYTES} bytes (35 MB) Gmail's users.messages.send takes`,
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    const context = { endpoints: options.endpoints, timeoutMs, now: options.now };
    const post = (token: AccessToken, upload: { contentType: string; body: string }) =>
      callProvider(
        `${gmailUploadUrl(options.endpoints, 'messages/send')}?uploadType=multipart`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token.accessToken}`,
            'content-type': upload.contentType,
          },
          body: upload.body,
        },
        { who: GMAIL_API, timeoutMs, sends: true },
      );

    const first = await googleAccessToken(google, context);
    if (!first.ok) return first.outcome;
    let accessToken = first.token;
    let refreshed = false;
    const deliver = async (threadId: string | null) => {
      const body = multipartUpload(built.mime, threadId);
      let call = await post(accessToken, body);
      if (call.ok && call.answer.status === 401 && !refreshed) {
        // "Resolve errors", 401: the access token expired or was revoked; refresh it once.
        refreshed = true;
        const fresh = await googleAccessToken(google, context, { fresh: true });
        if (!fresh.ok) return { ok: false as const, outcome: fresh.outcome };
        accessToken = fresh.token;
        call = await post(accessToken, body);
      }
      return call;
    };
    let call = await deliver(thread?.id ?? null);
    if (call.ok && thread && isUnknownThread(call.answer)) {
      // The stored thread is gone from the mailbox (deleted, or never this mailbox's): naming
      // it again would fail every later email of the workflow. Send once more without it;
      // Gmail starts a new thread, reported below so that dispatch stores it in its place.
      // Our Message-ID, In-Reply-To and References stay, so mail clients still thread it.
      call = await deliver(null);
    }
    if (!call.ok) return call.outcome;
    if (!isSuccess(call.answer)) {
      return classifyGoogleAnswer(call.answer, GMAIL_FAILURES, GMAIL_API, now);
    }
    const sent = sentMessage(call.answer.body);
    const actualId = sent.id
      ? await readBackMessageId(accessToken, sent.id, { endpoints: options.endpoints, timeoutMs })
      : null;
    return {
      status: 'sent',
      providerMessageId: sent.id ?? built.messageId,
      ...(sent.threadId ? { providerThread: { id: sent.threadId, subject: built.subject } } : {}),
      ...(actualId && actualId !== built.messageId ? { messageIdHeader: actualId } : {}),
    };
  },
};
