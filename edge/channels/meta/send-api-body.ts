import type { RenderedMessage } from '../../render/types';

/**
 * Request bodies of the Send API (`POST /<version>/me/messages`), which Messenger and the
 * Messenger Platform's Instagram API share (Messenger Platform, Send API reference: `recipient`,
 * `messaging_type`, `tag`, `message` with `text` or `attachment`).
 */

/** Longest text the Send API takes (Send API reference, `message.text`: 2000 characters). */
export const MAX_SEND_API_TEXT = 2000;

/** What one integration may send through the Send API. */
export interface SendApiRules {
  /** The network's name, for failure details. */
  label: string;
  /** Attachment types it takes (Messenger: image, video, audio, file; Instagram: image). */
  attachmentTypes: readonly AttachmentType[];
  /** Messenger requires `messaging_type`; Instagram's examples go without it. */
  messagingType: boolean;
  /** Tagged messages (Messenger only). */
  tags: boolean;
}

export type AttachmentType = 'image' | 'video' | 'audio' | 'file';

/** One Send API request: the body and, for a media caption, the text that follows it. */
export type SendApiBodies =
  | { ok: true; bodies: Record<string, unknown>[] }
  | { ok: false; detail: string };

/** The attachment type a file goes out as ("Sending attachments": image, video, audio, file). */
export function attachmentType(contentType: string): AttachmentType {
  const type = contentType.toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'file';
}

function tooLong(text: string): boolean {
  return Array.from(text).length > MAX_SEND_API_TEXT;
}

/**
 * The Send API bodies for `rendered` to `recipientId` (a PSID or an IGSID). Free-form messages
 * go as `RESPONSE` (dispatch only sends them inside the 24-hour window); a tagged message goes
 * as `MESSAGE_TAG` with its tag ("Messaging types", "Message tags"). An attachment has no
 * caption in the Send API, so a caption follows as a text message.
 */
export function sendApiBodies(
  rendered: RenderedMessage,
  recipientId: string,
  rules: SendApiRules,
): SendApiBodies {
  const envelope = (extra: Record<string, unknown>, message: Record<string, unknown>) => ({
    recipient: { id: recipientId },
    ...(rules.messagingType ? { messaging_type: 'RESPONSE' } : {}),
    ...extra,
    message,
  });
  switch (rendered.kind) {
    case 'text':
      if (tooLong(rendered.text)) {
        return {
          ok: false,
          detail: `a ${rules.label} text has at most ${MAX_SEND_API_TEXT} characters`,
        };
      }
      return { ok: true, bodies: [envelope({}, { text: rendered.text })] };
    case 'messenger_tagged':
      if (!rules.tags) return { ok: false, detail: `${rules.label} cannot send tagged messages` };
      if (tooLong(rendered.text)) {
        return {
          ok: false,
          detail: `a ${rules.label} text has at most ${MAX_SEND_API_TEXT} characters`,
        };
      }
      return {
        ok: true,
        bodies: [
          envelope({ messaging_type: 'MESSAGE_TAG', tag: rendered.tag }, { text: rendered.text }),
        ],
      };
    case 'media': {
      const type = attachmentType(rendered.contentType);
      if (!rules.attachmentTypes.includes(type)) {
        return { ok: false, detail: `${rules.label} cannot send ${rendered.contentType} files` };
      }
      if (rendered.caption && tooLong(rendered.caption)) {
        return {
          ok: false,
          detail: `a ${rules.label} caption has at most ${MAX_SEND_API_TEXT} characters`,
        };
      }
      const attachment = envelope({}, { attachment: { type, payload: { url: rendered.url } } });
      return {
        ok: true,
        bodies: rendered.caption
          ? [attachment, envelope({}, { text: rendered.caption })]
          : [attachment],
      };
    }
    default:
      return { ok: false, detail: `${rules.label} cannot send a ${rendered.kind} message` };
  }
}
