import { describe, expect, test } from 'vitest';
import { parseMarkdownV2 } from '../../../test/fakes/telegram-markdown';
import { escapeMarkdownV2 } from './markdown-v2';

describe('MarkdownV2 escaping', () => {
  test('escapes every reserved character and the backslash', () => {
    expect(escapeMarkdownV2('Ada_Lovelace. 1+1=2! (a) [b] {c} ~d~ `e` >f #g |h| *i* -j \\k')).toBe(
      'Ada\\_Lovelace\\. 1\\+1\\=2\\! \\(a\\) \\[b\\] \\{c\\} \\~d\\~ \\`e\\` \\>f \\#g \\|h\\| \\*i\\* \\-j \\\\k',
    );
  });

  test('Telegram’s parser reads an escaped text back exactly, whatever it holds', () => {
    for (const text of [
      'Hi Ada_Lovelace.',
      'Order #1042 - 50% off! (today) [only]',
      '__init__ *bold* ~x~ ||spoiler|| `code` ```pre```',
      'C:\\Users\\ada > notes.txt',
      'Emoji 🎉 and ünïcödé.',
    ]) {
      expect(parseMarkdownV2(escapeMarkdownV2(text))).toEqual({ ok: true, text });
    }
  });

  test('the same text unescaped is refused by the parser, as Telegram refuses it', () => {
    expect(parseMarkdownV2('Hi Ada_Lovelace.')).toMatchObject({ ok: false });
    expect(parseMarkdownV2('Thanks.')).toEqual({
      ok: false,
      description:
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
    });
  });
});
