import { describe, expect, it } from 'vitest';
import { expandSnippets, findSnippetNames, isSnippetName } from './snippets';

const snippets = new Map([
  ['greeting', 'Hello $contact.firstname'],
  ['sign_off', 'Cheers,\nThe team'],
  ['nested', 'See $snippet.greeting'],
]);

describe('findSnippetNames', () => {
  it('lists each referenced snippet once, in order of appearance', () => {
    expect(findSnippetNames('$snippet.greeting! $snippet.sign_off $snippet.greeting')).toEqual([
      'greeting',
      'sign_off',
    ]);
  });

  it('reports a reference written with capitals so it can be flagged as unknown', () => {
    expect(findSnippetNames('$snippet.Greeting')).toEqual(['Greeting']);
  });

  it('finds nothing in text without snippet references', () => {
    expect(findSnippetNames('Hi $contact.firstname, that is $5')).toEqual([]);
  });
});

describe('expandSnippets', () => {
  it('replaces references with snippet bodies and leaves their variables for interpolation', () => {
    expect(expandSnippets('$snippet.greeting, welcome!', snippets)).toBe(
      'Hello $contact.firstname, welcome!',
    );
  });

  it('keeps an unknown snippet literal', () => {
    expect(expandSnippets('$snippet.missing here', snippets)).toBe('$snippet.missing here');
  });

  it('is case-sensitive', () => {
    expect(expandSnippets('$snippet.GREETING', snippets)).toBe('$snippet.GREETING');
  });

  it('expands one level only: references inside a snippet body stay literal', () => {
    expect(expandSnippets('$snippet.nested', snippets)).toBe('See $snippet.greeting');
  });

  it('does not treat replacement patterns in a body specially', () => {
    expect(expandSnippets('$snippet.price', new Map([['price', 'costs $& and $1']]))).toBe(
      'costs $& and $1',
    );
  });

  it('expands every occurrence', () => {
    expect(expandSnippets('$snippet.sign_off / $snippet.sign_off', snippets)).toBe(
      'Cheers,\nThe team / Cheers,\nThe team',
    );
  });
});

describe('isSnippetName', () => {
  it('accepts lower-case letters, digits and underscores', () => {
    expect(isSnippetName('order_update_2')).toBe(true);
  });

  it('rejects capitals, dashes, spaces and empty names', () => {
    for (const name of ['Order', 'order-update', 'order update', '']) {
      expect(isSnippetName(name)).toBe(false);
    }
  });
});
