import { constantTimeEqual } from '../../../db/encoding';
import type { ChannelCallbacks } from '../callbacks';
import { cloudApiEvents } from '../whatsapp-meta/callbacks';

/**
 * 360dialog posts the Cloud API's webhooks (statuses, inbound messages) to the URL set for the
 * number, with the headers given when it was set (360dialog docs, "Webhook URL": "Add required
 * headers"; `POST /v1/configs/webhook` takes `url` and `headers`). It does not sign them, so
 * the channel's callback token goes along as this header, set once when connecting, and a
 * callback without it is refused.
 */
export const DIALOG360_TOKEN_HEADER = 'x-sendflow-token';

export const whatsapp360dialogCallbacks: ChannelCallbacks = {
  async verify(request, channel) {
    const token = request.headers.get(DIALOG360_TOKEN_HEADER);
    if (!token) return 'missing';
    if (!channel.callbackToken) return 'invalid';
    return constantTimeEqual(token, channel.callbackToken) ? 'ok' : 'invalid';
  },
  // One API key, one number, one callback URL: every message in it is this channel's.
  parse: (body, channel) => cloudApiEvents(body, channel, null),
};
