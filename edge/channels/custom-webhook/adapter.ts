import { uuidV7Millis } from '../../../workflow/ids';
import {
  InvalidSigningSecretError,
  standardWebhookHeaders,
} from '../../security/standard-webhooks';
import { readChannel } from '../channel-config';
import { callProvider, classifyHttpStatus, httpDetail, isSuccess } from '../http/classify';
import { parseRetryAfter } from '../http/retry-after';
import {
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  type OutboundMessage,
  permanentFailure,
  transientFailure,
} from '../types';
import { customWebhookDefinition } from './definition';

/**
 * The custom channel: the workspace's own HTTPS endpoint receives each message as JSON, signed
 * with the Standard Webhooks scheme (headers `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) using the channel's `whsec_` secret, with `Idempotency-Key` equal to
 * the delivery id so that a retried delivery can be recognised.
 */

/** The JSON body posted to the endpoint. */
export interface CustomChannelPayload {
  id: string;
  type: 'message';
  timestamp: string;
  workspaceId: string;
  channel: { id: string; name: string };
  recipient: string;
  contact: OutboundMessage['contact'];
  message: OutboundMessage['rendered'];
}

/** Who answers, in failure details. */
const ENDPOINT = 'endpoint';

/**
 * How Cloudflare answers a Worker's request to an HTTPS origin whose certificate it cannot
 * validate (Cloudflare docs, "Cloudflare 5xx errors", "Error 526: Invalid SSL certificate":
 * the certificate is expired, self-signed, issued by an untrusted CA, or for another host).
 * A 5xx by its number, but the endpoint's certificate does not mend itself within the minutes a
 * delivery's retries span: someone has to install a valid one. Retrying would only spend the
 * attempts and delay the run's failure branch, so it fails at once as a misconfigured channel
 * (not put in ERROR: once the certificate is fixed, the next send goes through by itself).
 */
const INVALID_CERTIFICATE = 526;

/** An endpoint honouring our Idempotency-Key answers a retry of a request in progress 409. */
const CONFLICT = 409;

/** The payload for one message. */
export function customChannelPayload(message: OutboundMessage, sentAt: Date): CustomChannelPayload {
  return {
    id: message.deliveryId,
    type: 'message',
    timestamp: sentAt.toISOString(),
    workspaceId: message.workspaceId,
    channel: { id: message.channel.id, name: message.channel.name },
    recipient: message.recipient,
    contact: message.contact,
    message: message.rendered,
  };
}

/** The `id` of a JSON answer, which the endpoint may give as its own message id. */
function providerId(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'id' in parsed) {
      const { id } = parsed as { id: unknown };
      if (typeof id === 'string' && id !== '') return id;
      if (typeof id === 'number') return String(id);
    }
  } catch {
    // A 2xx without a JSON body is still a success.
  }
  return undefined;
}

/** Sends messages to a workspace's own endpoint as signed JSON. */
export const customWebhookAdapter: ChannelAdapter = {
  async send(message, options) {
    const read = readChannel(customWebhookDefinition, message.channel, options);
    if (!read.ok) return permanentFailure('channel_not_connected', read.detail);
    const { url } = read.settings;
    const secret = read.credentials?.signingSecret ?? '';

    const now = options.now?.() ?? new Date();
    // The payload is the same on every attempt, as the Idempotency-Key it goes with requires:
    // "MUST NOT be reused with another request with a different request payload", and a server
    // that fingerprints payloads answers a changed one 422 ("The Idempotency-Key HTTP Header
    // Field", draft-ietf-httpapi-idempotency-key-header, "Uniqueness of Idempotency Key",
    // "Error Scenarios"). So its `timestamp` is when the delivery was first attempted (the
    // delivery id is a UUID v7 made at its first claim), not this attempt's clock; the signed
    // `webhook-timestamp` header stays this attempt's, as Standard Webhooks' replay check wants.
    const firstAttemptMs = uuidV7Millis(message.deliveryId);
    const body = JSON.stringify(
      customChannelPayload(message, firstAttemptMs === null ? now : new Date(firstAttemptMs)),
    );
    let signature: Awaited<ReturnType<typeof standardWebhookHeaders>>;
    try {
      signature = await standardWebhookHeaders(secret, message.deliveryId, now, body);
    } catch (error) {
      if (error instanceof InvalidSigningSecretError) {
        return permanentFailure('credentials_rejected', error.message);
      }
      throw error;
    }

    const call = await callProvider(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'sendflow-webhooks/1',
          'idempotency-key': message.deliveryId,
          ...signature,
        },
        body,
      },
      { who: ENDPOINT, timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS, sends: true },
    );
    if (!call.ok) return call.outcome;
    if (isSuccess(call.answer)) {
      return {
        status: 'sent',
        providerMessageId: providerId(call.answer.body) ?? message.deliveryId,
      };
    }
    if (call.answer.status === CONFLICT) {
      // "If the request is retried, while the original request is still being processed, the
      // resource server SHOULD reply with an HTTP 409" and the client retries it unchanged
      // ("Error Scenarios": "with the exception of 409 where no correction is required"): the
      // first attempt (one that timed out here) may well be delivered, so this is no refusal.
      return transientFailure(
        'network',
        `${httpDetail(ENDPOINT, call.answer)} (an earlier attempt with this Idempotency-Key is still being processed)`,
        parseRetryAfter(call.answer.headers.get('retry-after'), options.now?.() ?? new Date()),
      );
    }
    if (call.answer.status === INVALID_CERTIFICATE) {
      return permanentFailure(
        'channel_not_connected',
        `the endpoint's TLS certificate is not valid (HTTP 526 Invalid SSL certificate: expired, self-signed, untrusted or for another host); install a valid certificate`,
      );
    }
    const outcome = classifyHttpStatus(call.answer, ENDPOINT, options.now?.() ?? new Date());
    // Standard Webhooks, "Delivery success and failure": 410 Gone means the server "is no longer
    // interested in receiving webhooks from this source. Sender should disable the webhook
    // endpoint, and stop sending it messages": the channel goes into error (later sends stop at
    // once) until `updateChannel` sets it back to connected.
    if (call.answer.status === 410 && outcome.status === 'failed') {
      return { ...outcome, channelError: true };
    }
    return outcome;
  },
};
