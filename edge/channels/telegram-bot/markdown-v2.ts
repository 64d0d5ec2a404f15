/**
 * Escaping for Telegram's MarkdownV2 parse mode (Bot API, "Formatting options", "MarkdownV2
 * style"): outside code entities the characters `_ * [ ] ( ) ~ \` > # + - = | { } . !` must be
 * escaped with a preceding `\`, and any character from 1 to 126 may be; `\` itself is escaped
 * so that it shows. Our messages are plain text (variables filled in), so everything is escaped
 * and Telegram shows exactly the text: a contact named `Ada_Lovelace.` cannot open an italic
 * entity or end the message with a reserved `.` (which Telegram refuses with 400 "can't parse
 * entities").
 */

const RESERVED = /[_*[\]()~`>#+\-=|{}.!\\]/g;

/** `text` with every MarkdownV2 reserved character escaped. */
export function escapeMarkdownV2(text: string): string {
  return text.replace(RESERVED, (character) => `\\${character}`);
}
