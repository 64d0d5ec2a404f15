import type { RenderedMessage } from '../../render/types';

/**
 * Request bodies of the Send API (`POST /<version>/<page-id>/messages`), which Messenger and the
 * Messenger Platform's Instagram API share (Messenger Platform, Send API reference: `recipient`,
 * `messaging_type`, `tag`, `message` with `text` or `attachment`).
 */

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
  /** The longest text: Messenger 2000 characters, Instagram 1000 bytes of UTF-8. */
  maxText: { count: number; unit: 'characters' | 'bytes' };
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

const encoder = new TextEncoder();

/** Why a text is too long for the integration, or null. */
function tooLong(text: string, rules: SendApiRules, what: string): string | null {
  const { count, unit } = rules.maxText;
  const length = unit === 'bytes' ? encoder.encode(text).length : Array.from(text).length;
  return length > count ? `a ${rules.label} ${what} has at most ${count} ${unit}` : null;
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
    case 'text': {
      const problem = tooLong(rendered.text, rules, 'text');
      if (problem) return { ok: false, detail: problem };
      return { ok: true, bodies: [envelope({}, { text: rendered.text })] };
    }
    case 'messenger_tagged': {
      if (!rules.tags) return { ok: false, detail: `${rules.label} cannot send tagged messages` };
      const problem = tooLong(rendered.text, rules, 'text');
      if (problem) return { ok: false, detail: problem };
      return {
        ok: true,
        bodies: [
          envelope({ messaging_type: 'MESSAGE_TAG', tag: rendered.tag }, { text: rendered.text }),
        ],
      };
    }
    case 'media': {
      const type = attachmentType(rendered.contentType);
      if (!rules.attachmentTypes.includes(type)) {
        return { ok: false, detail: `${rules.label} cannot send ${rendered.contentType} files` };
      }
      const problem = rendered.caption ? tooLong(rendered.caption, rules, 'caption') : null;
      if (problem) return { ok: false, detail: problem };
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
