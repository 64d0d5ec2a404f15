import { describe, expect, it } from 'vitest';
import { summarizeMessage } from './summary';

describe('content summary', () => {
  it('keeps short text whole, on one line', () => {
    expect(summarizeMessage({ kind: 'text', text: 'Hi\n  there' })).toBe('Hi there');
  });

  it('cuts long text between code points, never inside an emoji', () => {
    const summary = summarizeMessage({ kind: 'text', text: `${'a'.repeat(8)}😀😀😀` }, 10);
    expect(summary).toBe(`${'a'.repeat(8)}😀…`);
    expect(Buffer.from(summary, 'utf8').toString('utf8')).toBe(summary);
  });
});
