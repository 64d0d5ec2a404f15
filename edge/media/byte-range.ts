import type { ByteRange } from './bucket';

/**
 * What a `Range` header asks of an object of `size` bytes (RFC 9110 §14.1.2, §14.2): the whole
 * object (no header, another unit, several ranges, or a malformed header, all of which a server
 * may answer with 200), one satisfiable range, or nothing satisfiable (416).
 */
export type RangeRequest =
  | { kind: 'full' }
  | { kind: 'partial'; range: { offset: number; length: number } & ByteRange }
  | { kind: 'unsatisfiable' };

// The unit is case-insensitive (RFC 9110 §14.1: "bytes", "Bytes" alike).
const BYTES_UNIT = /^bytes=/i;
const RANGE_SPEC = /^(\d*)-(\d*)$/;

/** Reads one `bytes=` range; multiple ranges are served whole rather than as multipart. */
export function parseRange(header: string | null, size: number): RangeRequest {
  if (!header) return { kind: 'full' };
  const set = header.trim();
  if (!BYTES_UNIT.test(set)) return { kind: 'full' };
  // A list's empty elements are ignored (RFC 9110 §5.6.1): `bytes=0-99,` is one range.
  const specs = set
    .slice('bytes='.length)
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  const match = specs.length === 1 ? RANGE_SPEC.exec(specs[0]!) : null;
  if (!match) return { kind: 'full' };
  const [, first, last] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // A suffix range: the last N bytes (all of them when N exceeds the size).
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    const length = Math.min(suffix, size);
    return { kind: 'partial', range: { offset: size - length, length } };
  }
  const offset = Number(first);
  if (offset >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < offset) return { kind: 'full' };
  return { kind: 'partial', range: { offset, length: end - offset + 1 } };
}
