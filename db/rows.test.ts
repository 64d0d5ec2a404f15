import { describe, expect, it } from 'vitest';
import { jsonParam, storableText } from './rows';

/** What a batch's JSON parameter carries to Postgres, whose jsonb refuses some strings. */

describe('jsonParam', () => {
  it('is JSON.stringify when nothing needs mending', () => {
    const rows = [{ a: 'plain', b: 'emoji 😀', c: null, d: 1.5, e: ['x', { f: 'é' }] }];
    expect(jsonParam(rows)).toBe(JSON.stringify(rows));
  });

  it('drops NUL characters and replaces lone surrogates, wherever they are', () => {
    const rows = [
      { detail: 'bad\u0000request', nested: { list: ['cut \uD83D', '\uDE00 tail'] } },
      { summary: 'ok 😀 \u0000\u0000end' },
    ];
    expect(JSON.parse(jsonParam(rows))).toEqual([
      { detail: 'badrequest', nested: { list: ['cut \uFFFD', '\uFFFD tail'] } },
      { summary: 'ok 😀 end' },
    ]);
  });

  it('leaves text that only looks like those escapes as it was', () => {
    const rows = [{ text: 'a backslash then u0000: \\u0000, and \\ud83d, and \\\\\u0000' }];
    expect(JSON.parse(jsonParam(rows))).toEqual([
      { text: 'a backslash then u0000: \\u0000, and \\ud83d, and \\\\' },
    ]);
  });

  it('stores what storableText gives for the same string', () => {
    for (const text of ['x\u0000y', 'a\uD800b', '\uDFFFz', 'ok', '😀\uD83D']) {
      expect(JSON.parse(jsonParam([{ text }]))[0].text).toBe(storableText(text));
    }
  });
});
