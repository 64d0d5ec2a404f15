import type { RenderedMessage } from '../../render/types';

/**
 * The `send_message` body for one rendered message (REST Bot API, "Send Message", "Message
 * types"): a text message, or a picture message with its caption as the picture's `text`.
 * `tracking_data` carries our delivery id (Viber echoes it with the user's replies).
 */

/** Longest text: the API's "Max length 7,000 characters" ("Text message"). */
export const MAX_TEXT_LENGTH = 7000;
/** Longest picture description: "Max 768 characters" ("Picture message", `text`). */
export const MAX_PICTURE_TEXT_LENGTH = 768;
const PICTURE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif']);

/**
 * A picture's `media` URL: "The URL must have a resource with a .jpeg, .png or .gif file
 * extension as the last path segment. Example: http://www.example.com/path/image.jpeg" (REST Bot
 * API, "Picture message", `media`). The API's own send example names `…/img.jpg`, so `.jpg` is
 * taken too. Our signed links end in their type's extension (edge/media/signed-link.ts); a
 * registered file's own URL may not, and Viber would not show it.
 */
const PICTURE_URL_EXTENSION = /\.(jpe?g|png|gif)$/i;

/** Whether `url` is http(s) and its last path segment ends in a picture extension. */
export function isViberPictureUrl(url: string): boolean {
  // `URL.canParse` and not `URL.parse`: the latter is newer than Node 20.10, which we support.
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  const segment = parsed.pathname.split('/').pop() ?? '';
  return PICTURE_URL_EXTENSION.test(segment);
}

export type ViberBody = { ok: true; body: Record<string, unknown> } | { ok: false; detail: string };

export function viberMessageBody(
  rendered: RenderedMessage,
  receiver: string,
  senderName: string,
  deliveryId: string,
): ViberBody {
  let content: Record<string, unknown>;
  if (rendered.kind === 'text') {
    if (rendered.text.trim() === '') return { ok: false, detail: 'a Viber text is empty' };
    if (rendered.text.length > MAX_TEXT_LENGTH) {
      return { ok: false, detail: `a Viber text has at most ${MAX_TEXT_LENGTH} characters` };
    }
    content = { type: 'text', text: rendered.text };
  } else if (rendered.kind === 'media') {
    if (!PICTURE_TYPES.has(rendered.contentType.toLowerCase())) {
      return { ok: false, detail: 'Viber sends JPEG, PNG or GIF pictures only' };
    }
    if (!isViberPictureUrl(rendered.url)) {
      return {
        ok: false,
        detail:
          "Viber takes a picture only from a URL whose last path segment ends in .jpeg, .jpg, .png or .gif (the file's URL does not)",
      };
    }
    const caption = rendered.caption ?? '';
    if (caption.length > MAX_PICTURE_TEXT_LENGTH) {
      return {
        ok: false,
        detail: `a Viber picture description has at most ${MAX_PICTURE_TEXT_LENGTH} characters`,
      };
    }
    content = { type: 'picture', text: caption, media: rendered.url };
  } else {
    return { ok: false, detail: `Viber cannot send a ${rendered.kind} message` };
  }
  return {
    ok: true,
    body: {
      receiver,
      min_api_version: 1,
      sender: { name: senderName },
      tracking_data: deliveryId,
      ...content,
    },
  };
}
