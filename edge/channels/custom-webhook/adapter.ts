import {
  InvalidSigningSecretError,
  standardWebhookHeaders,
} from '../../security/standard-webhooks';
import { readChannel } from '../channel-config';
import { callProvider, classifyHttpStatus, isSuccess } from '../http/classify';
import {
  type ChannelAdapter,
  DEFAULT_SEND_TIMEOUT_MS,
  type OutboundMessage,
  permanentFailure,
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
      { who: ENDPOINT, timeoutMs: options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS },
    );
    if (!call.ok) return call.outcome;
    if (isSuccess(call.answer)) {
      return {
        status: 'sent',
        providerMessageId: providerId(call.answer.body) ?? message.deliveryId,
      };
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
