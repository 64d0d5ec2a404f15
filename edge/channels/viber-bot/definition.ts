import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition, Field } from '../definition';
import { secret, singleLine } from '../fields';
import { MAX_PICTURE_TEXT_LENGTH } from './message-body';

/** Longest sender name: "Max 28 characters" (REST Bot API, "Send Message": `sender.name`). */
export const MAX_SENDER_NAME_LENGTH = 28;

const senderName: Field<string | null> = {
  ...singleLine({
    required: true,
    description: `The name messages are sent under (at most ${MAX_SENDER_NAME_LENGTH} characters).`,
  }),
  parse(value, at) {
    const name = singleLine({ required: true }).parse(value, at);
    if (name && name.length > MAX_SENDER_NAME_LENGTH) {
      at.issues.add(
        'INVALID_VALUE',
        at.path,
        `${at.key} has at most ${MAX_SENDER_NAME_LENGTH} characters`,
      );
    }
    return name;
  },
};

/**
 * Viber through the REST Bot API with the bot's authentication token (Viber Admin Panel, or the
 * bot's "Edit info" screen), which both authenticates our calls (`X-Viber-Auth-Token`) and signs
 * Viber's callbacks (`X-Viber-Content-Signature`). Every message names its sender (`senderName`).
 * Pictures go by URL, JPEG/PNG/GIF up to 1 MB (REST Bot API, "Picture message": "Max image size:
 * 1MB on iOS, 3MB on Android"). Viber reports delivered, seen and failed.
 */
export const viberBotDefinition = {
  type: 'viber',
  provider: 'viber',
  label: 'Viber (REST Bot API)',
  capability: CHANNEL_CAPABILITIES.viber,
  mediaLimits: {
    image: { contentTypes: ['image/jpeg', 'image/png', 'image/gif'], maxBytes: 1024 * 1024 },
  },
  // A picture's description: "Max 768 characters" (REST Bot API, "Send Message", "Picture
  // message": `text`). Pictures are the only media the adapter sends (a video or file message
  // takes no description), and message-body.ts checks the filled-in caption against the same
  // number before the call.
  captionLimit: { maxLength: MAX_PICTURE_TEXT_LENGTH, kinds: ['image'] },
  deliveryReceipts: true,
  credentialsRequired: true,
  api: {
    key: 'viber',
    settingsType: 'ViberChannelSettings',
    credentialsInput: 'ViberCredentialsInput',
  },
  settings: { senderName },
  credentials: {
    authToken: secret({
      required: true,
      description: "The bot's authentication token: authenticates calls and signs callbacks.",
    }),
  },
} satisfies ChannelDefinition;
