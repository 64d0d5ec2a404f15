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

test('reads the unit in any case and skips empty list elements (RFC 9110 §14.1, §5.6.1)', () => {
  // "Range unit names are case-insensitive"; a recipient "MUST parse and ignore a reasonable
  // number of empty list elements", so these each ask for one range.
  for (const header of [
    'Bytes=0-99',
    'BYTES=0-99',
    'bytes=0-99,',
    'bytes=, 0-99',
    'bytes=0-99 ,,',
  ]) {
    expect(parseRange(header, 1000), header).toEqual({
      kind: 'partial',
      range: { offset: 0, length: 100 },
    });
  }
  expect(parseRange('Bytes=2000-', 1000)).toEqual({ kind: 'unsatisfiable' });
  // Two ranges are still two, however they are spaced.
  expect(parseRange('bytes=0-1 , 5-6', 1000)).toEqual({ kind: 'full' });
});
