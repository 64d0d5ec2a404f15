import { describe, expect, it } from 'vitest';
import { sendConfig } from './graph-fixtures';
import { validateMessageTexts } from './validate-texts';

const snippets = new Map([
  ['footer', 'Unsubscribe at https://x.io/u'],
  ['url', 'https://x.io/promo'],
]);

function paths(config: Parameters<typeof validateMessageTexts>[0]) {
  return validateMessageTexts(config, snippets).map(({ code, path }) => `${code} ${path}`);
}

describe('validateMessageTexts', () => {
  it('accepts texts whose snippets all exist', () => {
    expect(
      paths(sendConfig({ defaultMessage: { type: 'text', text: 'Hi\n\n$snippet.footer' } })),
    ).toEqual([]);
  });

  it('reports each unknown snippet of a text separately', () => {
    expect(
      paths(
        sendConfig({ defaultMessage: { type: 'text', text: '$snippet.a $snippet.b $snippet.a' } }),
      ),
    ).toEqual(['UNKNOWN_SNIPPET defaultMessage.text', 'UNKNOWN_SNIPPET defaultMessage.text']);
  });

  it('does not require a caption', () => {
    expect(
      paths(sendConfig({ defaultMessage: { type: 'media', fileId: 'f', caption: '' } })),
    ).toEqual([]);
  });

  it('does not hold e-mail body text to the 2,000-character message limit', () => {
    const body = [{ type: 'paragraph' as const, spans: [{ text: 'x'.repeat(5000) }] }];
    expect(paths(sendConfig({ email: { body } }))).toEqual([]);
  });

  it('checks a link after expanding the snippet it comes from', () => {
    const body = [
      {
        type: 'paragraph' as const,
        spans: [
          { text: 'promo', link: '$snippet.url' },
          { text: 'bad', link: '$snippet.footer' },
        ],
      },
    ];
    expect(paths(sendConfig({ email: { body } }))).toEqual([
      'INVALID_URL email.body[0].spans[1].link',
    ]);
  });

  it('accepts links in any letter case of the scheme', () => {
    const body = [{ type: 'paragraph' as const, spans: [{ text: 'x', link: 'HTTPS://X.IO' }] }];
    expect(paths(sendConfig({ email: { body } }))).toEqual([]);
  });

  it('accepts tel links and links that start with a variable, as the email renderer links them', () => {
    const body = [
      {
        type: 'paragraph' as const,
        spans: [
          { text: 'call', link: 'tel:+447700900123' },
          { text: 'site', link: '$contact.website' },
          { text: 'page', link: ' $trigger.base/offers?id=$contact.id' },
        ],
      },
    ];
    expect(paths(sendConfig({ email: { body } }))).toEqual([]);
  });

  it('rejects a link with a variable after a scheme it does not allow', () => {
    const body = [
      { type: 'paragraph' as const, spans: [{ text: 'x', link: 'javascript:$contact.id' }] },
    ];
    expect(paths(sendConfig({ email: { body } }))).toEqual([
      'INVALID_URL email.body[0].spans[0].link',
    ]);
  });

  it('rejects data and file links', () => {
    const body = [
      {
        type: 'paragraph' as const,
        spans: [
          { text: 'a', link: 'data:text/html,<script>' },
          { text: 'b', link: 'file:///etc/passwd' },
        ],
      },
    ];
    expect(paths(sendConfig({ email: { body } }))).toEqual([
      'INVALID_URL email.body[0].spans[0].link',
      'INVALID_URL email.body[0].spans[1].link',
    ]);
  });

  it('reports a text that is not a string instead of throwing', () => {
    expect(paths(sendConfig({ defaultMessage: { type: 'text', text: 42 as never } }))).toEqual([
      'INVALID_VALUE defaultMessage.text',
    ]);
  });
});
