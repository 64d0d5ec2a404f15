import type { RenderedMessage } from '../../render/types';
import { TELEGRAM_URL_DOCUMENT_TYPES } from './definition';
import { escapeMarkdownV2 } from './markdown-v2';

/**
 * The Bot API method and JSON body for one rendered message (Bot API, "sendMessage",
 * "sendPhoto", "sendDocument"): text with MarkdownV2 escaping (see markdown-v2.ts) and link
 * previews off; images JPEG/PNG/WebP as photos and PDF, ZIP and GIF files as documents (the
 * only ones Telegram fetches by URL, "Sending files"), both by URL with the caption escaped the
 * same way.
 */

/** Longest text: "1-4096 characters after entities parsing" (sendMessage, `text`). */
export const MAX_TEXT_LENGTH = 4096;
/** Longest caption: "0-1024 characters after entities parsing" (sendPhoto, `caption`). */
export const MAX_CAPTION_LENGTH = 1024;

/** Images Telegram shows as photos ("sendPhoto"); PDF, ZIP and GIF files go as documents. */
const PHOTO_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp']);
const DOCUMENT_TYPES: ReadonlySet<string> = new Set(TELEGRAM_URL_DOCUMENT_TYPES);

export type TelegramCall =
  | {
      ok: true;
      method: 'sendMessage' | 'sendPhoto' | 'sendDocument';
      body: Record<string, unknown>;
    }
  | { ok: false; detail: string };

/**
 * Telegram counts the text after parsing in UTF-16 code units (Bot API, "MessageEntity":
 * offsets and lengths are in UTF-16 code units), which is what `length` is.
 */
function tooLong(text: string, max: number): boolean {
  return text.length > max;
}

export function telegramCall(rendered: RenderedMessage, chatId: string): TelegramCall {
  switch (rendered.kind) {
    case 'text': {
      if (rendered.text.trim() === '') return { ok: false, detail: 'a Telegram text is empty' };
      if (tooLong(rendered.text, MAX_TEXT_LENGTH)) {
        return { ok: false, detail: `a Telegram text has at most ${MAX_TEXT_LENGTH} characters` };
      }
      return {
        ok: true,
        method: 'sendMessage',
        body: {
          chat_id: chatId,
          text: escapeMarkdownV2(rendered.text),
          parse_mode: 'MarkdownV2',
          link_preview_options: { is_disabled: true },
        },
      };
    }
    case 'media': {
      const caption = rendered.caption ?? '';
      if (tooLong(caption, MAX_CAPTION_LENGTH)) {
        return {
          ok: false,
          detail: `a Telegram caption has at most ${MAX_CAPTION_LENGTH} characters`,
        };
      }
      const contentType = rendered.contentType.toLowerCase();
      const photo = PHOTO_TYPES.has(contentType);
      if (!photo && !DOCUMENT_TYPES.has(contentType)) {
        // "In sendDocument, sending by URL will currently only work for GIF, PDF and ZIP files."
        return {
          ok: false,
          detail: `Telegram fetches only PDF, ZIP and GIF documents by URL, not ${rendered.contentType}`,
        };
      }
      return {
        ok: true,
        method: photo ? 'sendPhoto' : 'sendDocument',
        body: {
          chat_id: chatId,
          [photo ? 'photo' : 'document']: rendered.url,
          ...(caption ? { caption: escapeMarkdownV2(caption), parse_mode: 'MarkdownV2' } : {}),
        },
      };
    }
    default:
      return { ok: false, detail: `Telegram cannot send a ${rendered.kind} message` };
  }
}
