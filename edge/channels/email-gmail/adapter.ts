import { toBase64Url } from '../../../db/encoding';
import { readChannel } from '../channel-config';
import { gmailUrl } from '../google/endpoints';
import { classifyGoogleAnswer } from '../google/errors';
import { type AccessToken, type GoogleCredentials, googleAccessToken } from '../google/oauth';
import { callProvider, isSuccess } from '../http/classify';
import { outboundMime } from '../smtp/outbound-mime';
import { type ChannelAdapter, DEFAULT_SEND_TIMEOUT_MS, permanentFailure } from '../types';
import { emailGmailDefinition } from './definition';
import { GMAIL_FAILURES } from './failures';

/** Who answers, in failure details. */
export const GMAIL_API = 'Gmail API';

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
 * Sends through the Gmail API: `POST <GMAIL_API_URL>/gmail/v1/users/me/messages/send` with
 * `{ raw, threadId }`, `raw` being the RFC 2822 message base64url-encoded (Gmail API,
 * users.messages.send; "Sending Email", "Creating messages"), authorised by an access token from
 * the channel's refresh token (google/oauth.ts). A 401 means the cached token was revoked
 * early: the token is refreshed once and the send tried once more.
 *
 * Threads: Gmail puts a message into an existing thread only when the request names the
 * `threadId`, `References`/`In-Reply-To` follow RFC 2822 and the Subject matches (Gmail API,
 * Message resource, `threadId`). The first send of a workflow to a contact starts a thread;
 * later ones name it and carry its subject. Gmail takes no idempotency key: a delivery re-sent
 * after a crash between Gmail's answer and our record may arrive twice (the claim's lease
 * makes that rare).
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
    const built = outboundMime(
      message,
      { address: settings.fromAddress, name: settings.fromName ?? undefined },
      now,
      thread?.subject,
    );
    if (!built.ok) return built.outcome;

    const body = JSON.stringify({
      raw: toBase64Url(new TextEncoder().encode(built.mime)),
      ...(thread ? { threadId: thread.id } : {}),
    });
    const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    const context = { endpoints: options.endpoints, timeoutMs, now: options.now };
    const post = (token: AccessToken) =>
      callProvider(
        gmailUrl(options.endpoints, 'messages/send'),
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token.accessToken}`,
            'content-type': 'application/json',
          },
          body,
        },
        { who: GMAIL_API, timeoutMs },
      );

    let token = await googleAccessToken(google, context);
    if (!token.ok) return token.outcome;
    let call = await post(token.token);
    if (call.ok && call.answer.status === 401) {
      // "Resolve errors", 401: the access token expired or was revoked; refresh it once.
      token = await googleAccessToken(google, context, { fresh: true });
      if (!token.ok) return token.outcome;
      call = await post(token.token);
    }
    if (!call.ok) return call.outcome;
    if (!isSuccess(call.answer)) {
      return classifyGoogleAnswer(call.answer, GMAIL_FAILURES, GMAIL_API, now);
    }
    const sent = sentMessage(call.answer.body);
    return {
      status: 'sent',
      providerMessageId: sent.id ?? built.messageId,
      ...(sent.threadId ? { providerThread: { id: sent.threadId, subject: built.subject } } : {}),
    };
  },
};
