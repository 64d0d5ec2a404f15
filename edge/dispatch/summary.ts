import type { RenderedMessage } from '../render/types';
import { CONTENT_SUMMARY_LENGTH } from './limits';

/** One line of at most `max` characters, cut between code points (never inside an emoji). */
function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  // No more UTF-16 units than `max` means no more code points either: nothing to cut.
  if (flat.length <= max) return flat;
  const codePoints = Array.from(flat);
  return codePoints.length <= max ? flat : `${codePoints.slice(0, max - 1).join('')}…`;
}

/**
 * A short, single-line description of what was sent, stored on the delivery so that the runs
 * API can show it without keeping whole messages: the text, the caption or file name, the
 * template name, or the email's subject and the start of its text part.
 */
export function summarizeMessage(
  rendered: RenderedMessage,
  max: number = CONTENT_SUMMARY_LENGTH,
): string {
  switch (rendered.kind) {
    case 'text':
    case 'messenger_tagged':
      return shorten(rendered.text, max);
    case 'media':
      return shorten(
        rendered.caption ? `${rendered.caption} [${rendered.fileName}]` : rendered.fileName,
        max,
      );
    case 'whatsapp_template':
      return shorten(`template ${rendered.templateName} (${rendered.parameters.join(', ')})`, max);
    case 'email':
      return shorten(
        rendered.subject ? `${rendered.subject} — ${rendered.text}` : rendered.text,
        max,
      );
  }
}
