import { constantTimeEqual } from '../../../db/encoding';
import type { ChannelCallbacks } from '../callbacks';
import { cloudApiEvents } from '../whatsapp-meta/callbacks';

/**
 * 360dialog posts the Cloud API's webhooks (statuses, inbound messages) to the URL set for the
 * number, with the headers given when it was set (360dialog docs, "Webhook URL": "Add required
 * headers"; `POST /v1/configs/webhook` takes `url` and `headers`). It does not sign them, so
 * the channel's callback token goes along as this header, set once when connecting, and a
 * callback without it is refused.
 *
 * A user with a WhatsApp username may write without their phone: 360dialog passes on the Cloud
 * API's webhooks, where "certain phone fields are simply *omitted* from webhooks you already
 * receive" (360dialog docs, "Validation guide") and the BSUID "is assigned to the `user_id`
 * parameter" ("Usernames & BSUID"). As through Meta, such a user is named by their BSUID (the
 * adapter sends to it), and a system message reporting a new BSUID moves their identity.
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
  parse: (body, channel) => cloudApiEvents(body, channel, null, true),
};
