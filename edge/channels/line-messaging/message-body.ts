import type { RenderedMessage } from '../../render/types';

/**
 * The message objects of a push for one rendered message (Messaging API reference, "Message
 * objects"): a text message, or an image message (HTTPS `originalContentUrl` and
 * `previewImageUrl`, JPEG or PNG; the image itself is its preview, which is why the definition
 * keeps images within the preview's 1 MB) followed by its caption as a text message, since
 * image messages have none (a push takes up to 5 messages).
 */

/** Longest text message: "Max character limit: 5000" ("Text message"). */
export const MAX_TEXT_LENGTH = 5000;
/** Longest image URL: "Max character limit: 2000" ("Image message"). */
const MAX_URL_LENGTH = 2000;
const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png']);

export type LineMessages =
  | { ok: true; messages: Record<string, unknown>[] }
  | { ok: false; detail: string };

function textMessage(text: string): LineMessages {
  if (text.trim() === '') return { ok: false, detail: 'a LINE text is empty' };
  if (text.length > MAX_TEXT_LENGTH) {
    return { ok: false, detail: `a LINE text has at most ${MAX_TEXT_LENGTH} characters` };
  }
  return { ok: true, messages: [{ type: 'text', text }] };
}

export function lineMessages(rendered: RenderedMessage): LineMessages {
  if (rendered.kind === 'text') return textMessage(rendered.text);
  if (rendered.kind !== 'media') {
    return { ok: false, detail: `LINE cannot send a ${rendered.kind} message` };
  }
  if (!IMAGE_TYPES.has(rendered.contentType.toLowerCase())) {
    return { ok: false, detail: 'LINE sends JPEG or PNG images only (no other files)' };
  }
  if (!rendered.url.startsWith('https://') || rendered.url.length > MAX_URL_LENGTH) {
    return { ok: false, detail: 'a LINE image needs an HTTPS URL of at most 2000 characters' };
  }
  const image = { type: 'image', originalContentUrl: rendered.url, previewImageUrl: rendered.url };
  if (!rendered.caption) return { ok: true, messages: [image] };
  const caption = textMessage(rendered.caption);
  return caption.ok ? { ok: true, messages: [image, ...caption.messages] } : caption;
}
