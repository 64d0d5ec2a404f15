import { expect, test } from 'vitest';
import { parseRange } from './byte-range';

test('reads one byte range, suffix ranges and open ends (RFC 9110 §14.1.2)', () => {
  expect(parseRange('bytes=0-99', 1000)).toEqual({
    kind: 'partial',
    range: { offset: 0, length: 100 },
  });
  expect(parseRange('bytes=900-', 1000)).toEqual({
    kind: 'partial',
    range: { offset: 900, length: 100 },
  });
  expect(parseRange('bytes=-10', 1000)).toEqual({
    kind: 'partial',
    range: { offset: 990, length: 10 },
  });
  expect(parseRange('bytes=-5000', 1000)).toEqual({
    kind: 'partial',
    range: { offset: 0, length: 1000 },
  });
  // An end past the last byte is cut to it.
  expect(parseRange('bytes=500-5000', 1000)).toEqual({
    kind: 'partial',
    range: { offset: 500, length: 500 },
  });
});

test('serves the whole object for no, malformed, multiple or backward ranges', () => {
  for (const header of [
    null,
    '',
    'items=0-1',
    'bytes=0-1,5-6',
    'bytes=9-1',
    'bytes=-',
    'bytes=a-b',
  ]) {
    expect(parseRange(header, 1000), String(header)).toEqual({ kind: 'full' });
  }
});

test('answers unsatisfiable for ranges that start past the end or ask for no bytes', () => {
  expect(parseRange('bytes=1000-', 1000)).toEqual({ kind: 'unsatisfiable' });
  expect(parseRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' });
  expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
});
