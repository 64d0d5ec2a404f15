import { expect, test } from 'vitest';
import { CompiledEmailCache, interpolateCompiledEmail } from './compiled-email';
import { richTextToMjml } from './rich-text-mjml';

const mjml = (text: string) => richTextToMjml([{ type: 'paragraph', spans: [{ text }] }], 'Title');

test('reuses a compiled template for the same key and MJML', () => {
  const cache = new CompiledEmailCache(2);
  const first = cache.compile('a', mjml('Hi $contact.firstname'));
  expect(cache.compile('a', mjml('Hi $contact.firstname'))).toBe(first);
  expect(cache.compile('a', mjml('Changed'))).not.toBe(first);
});

test('stays within its bound, evicting the least recently used template', () => {
  const cache = new CompiledEmailCache(2);
  const a = cache.compile('a', mjml('A'));
  const b = cache.compile('b', mjml('B'));
  cache.compile('a', mjml('A'));
  cache.compile('c', mjml('C'));
  expect(cache.size).toBe(2);
  expect(cache.compile('a', mjml('A'))).toBe(a);
  // 'b' was the least recently used when 'c' arrived, so it compiles again.
  expect(cache.compile('b', mjml('B'))).not.toBe(b);
});

test('compiled HTML keeps variables for interpolation and escapes their values', async () => {
  const compiled = await new CompiledEmailCache().compile('k', mjml('Hi $contact.firstname & co'));
  const html = interpolateCompiledEmail(compiled, {
    contact: { firstName: '<b>Ada</b>' },
    now: new Date(),
    timezone: 'UTC',
  });
  expect(html).toContain('Hi &lt;b&gt;Ada&lt;/b&gt; &amp; co');
});
