import { describe, expect, it } from 'vitest';
import {
  FrameScanner,
  queryMessage,
  READY_FOR_QUERY,
  splitMessages,
  splitStartupPacket,
} from './pg-wire';

/** A typed message: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.write(type, 0, 'latin1');
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const ready = (status: string) => message('Z', Buffer.from(status, 'latin1'));
const dataRow = message('D', Buffer.alloc(300, 7));
const stream = Buffer.concat([
  dataRow,
  ready('T'),
  message('C', Buffer.from('SELECT 1\0')),
  ready('I'),
]);

describe('FrameScanner', () => {
  it('finds every frame whatever the chunks, keeping short bodies only', () => {
    for (const size of [1, 2, 3, 5, 7, 64, stream.length]) {
      const scanner = new FrameScanner();
      const frames: { type: string; body: string | null }[] = [];
      for (let offset = 0; offset < stream.length; offset += size) {
        scanner.scan(stream.subarray(offset, offset + size), (frame) =>
          frames.push({
            type: String.fromCharCode(frame.type),
            body: frame.type === READY_FOR_QUERY ? (frame.body?.toString('latin1') ?? null) : null,
          }),
        );
      }
      expect(frames).toEqual([
        { type: 'D', body: null },
        { type: 'Z', body: 'T' },
        { type: 'C', body: null },
        { type: 'Z', body: 'I' },
      ]);
      expect(scanner.inMessage).toBe(false);
    }
  });

  it('knows when a message is cut off', () => {
    const scanner = new FrameScanner();
    scanner.scan(dataRow.subarray(0, 10), () => undefined);
    expect(scanner.inMessage).toBe(true);
  });
});

describe('splitting', () => {
  it('splits complete messages and keeps the incomplete rest', () => {
    const query = queryMessage('select 1');
    const { messages, rest } = splitMessages(Buffer.concat([query, query.subarray(0, 4)]));
    expect(messages).toEqual([query]);
    expect(rest).toEqual(query.subarray(0, 4));
  });

  it('reads a startup packet and its code', () => {
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(80877103, 4);
    expect(splitStartupPacket(ssl.subarray(0, 7))).toBeNull();
    const split = splitStartupPacket(Buffer.concat([ssl, Buffer.from('x')]));
    expect(split?.code).toBe(80877103);
    expect(split?.rest.toString()).toBe('x');
  });
});
