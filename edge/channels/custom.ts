import { checkOutboundUrl } from '../security/outbound-url';
import { InvalidSigningSecretError, standardWebhookHeaders } from '../security/standard-webhooks';
import { parseRetryAfter } from './retry-after';
import {
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  type OutboundMessage,
  permanentFailure,
  type SendOutcome,
  transientFailure,
} from './types';

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

/** How much of an error response body is kept in the failure detail. */
const DETAIL_BODY_CHARS = 200;

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

/**
 * Classifies the endpoint's answer — the one place where custom-channel responses become
 * outcomes: 2xx sent; 401/403 credentials rejected; 429 rate limited (retried after
 * Retry-After); 408 and 5xx transient; 3xx (redirects are not followed) and other 4xx
 * permanent rejections.
 */
export function classifyCustomResponse(
  status: number,
  headers: Headers,
  body: string,
  deliveryId: string,
  now: Date,
): SendOutcome {
  if (status >= 200 && status < 300) {
    return { status: 'sent', providerMessageId: providerId(body) ?? deliveryId };
  }
  const detail = `endpoint answered HTTP ${status}${body ? `: ${body.slice(0, DETAIL_BODY_CHARS)}` : ''}`;
  if (status === 401 || status === 403) return permanentFailure('credentials_rejected', detail);
  if (status === 429) {
    return transientFailure(
      'rate_limited',
      detail,
      parseRetryAfter(headers.get('retry-after'), now),
    );
  }
  if (status === 408 || status >= 500) {
    return transientFailure('network', detail, parseRetryAfter(headers.get('retry-after'), now));
  }
  return permanentFailure('rejected_by_provider', detail);
}

/** Classifies a fetch that produced no response: a timeout or a connection failure. */
export function classifyCustomError(error: unknown, timeoutMs: number): SendOutcome {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return transientFailure('network', `endpoint did not answer within ${timeoutMs} ms`);
  }
  const detail = error instanceof Error ? error.message : String(error);
  return transientFailure('network', `endpoint could not be reached: ${detail}`);
}

/** Sends messages to a workspace's own endpoint as signed JSON. */
export const customAdapter: ChannelAdapter = {
  type: 'custom',
  async send(message, options) {
    const { settings, credentials } = message.channel;
    if (typeof settings.url !== 'string' || settings.url === '') {
      return permanentFailure('channel_not_connected', 'the custom channel has no endpoint URL');
    }
    const checked = checkOutboundUrl(settings.url, { allowPrivate: options.allowPrivateUrls });
    if (!checked.ok) return permanentFailure('channel_not_connected', checked.detail);
    const secret = credentials.signingSecret;
    if (typeof secret !== 'string' || secret === '') {
      return permanentFailure('channel_not_connected', 'the custom channel has no signing secret');
    }

    const now = options.now?.() ?? new Date();
    const body = JSON.stringify(customChannelPayload(message, now));
    let signature: Awaited<ReturnType<typeof standardWebhookHeaders>>;
    try {
      signature = await standardWebhookHeaders(secret, message.deliveryId, now, body);
    } catch (error) {
      if (error instanceof InvalidSigningSecretError) {
        return permanentFailure('credentials_rejected', error.message);
      }
      throw error;
    }

    const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    let response: Response;
    let responseBody: string;
    try {
      response = await fetch(checked.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'sendflow-webhooks/1',
          'idempotency-key': message.deliveryId,
          ...signature,
        },
        body,
        // A redirect could lead a checked URL to an unchecked one: never follow it.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      responseBody = await response.text();
    } catch (error) {
      return classifyCustomError(error, timeoutMs);
    }
    return classifyCustomResponse(
      response.status,
      response.headers,
      responseBody,
      message.deliveryId,
      options.now?.() ?? new Date(),
    );
  },
};
