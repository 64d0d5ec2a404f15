/**
 * Just enough of the PostgreSQL frontend/backend protocol (version 3.0; the manual's chapter
 * "Frontend/Backend Protocol", sections "Message Flow" and "Message Formats") for the local
 * WebSocket proxy to keep server sessions between clients, as Neon's pooler does in production:
 * where messages start and end, which one is ReadyForQuery, and the startup packet. The bytes
 * themselves are relayed untouched. `pg-protocol` (node-postgres) parses whole messages into
 * objects for a client; a relay needs only the frame boundaries, so this scans headers instead.
 */

/** Startup-phase request codes (a length, then this int32, no type byte). */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const PROTOCOL_3_0 = 196608;

/** Message types (one ASCII byte) this relay looks at. */
export const READY_FOR_QUERY = 0x5a; // 'Z', backend: its one body byte is the transaction status
export const ERROR_RESPONSE = 0x45; // 'E', backend
export const AUTHENTICATION = 0x52; // 'R', backend: int32 0 means AuthenticationOk
export const QUERY = 0x51; // 'Q', frontend: simple query, answered by one ReadyForQuery
export const SYNC = 0x53; // 'S', frontend: ends an extended-query cycle, one ReadyForQuery
export const FUNCTION_CALL = 0x46; // 'F', frontend: one ReadyForQuery
export const TERMINATE = 0x58; // 'X', frontend: the client is leaving

/** ReadyForQuery's status byte when no transaction is open. */
export const IDLE = 0x49; // 'I'

export interface Frame {
  type: number;
  /** The message's body when the scanner keeps it (small messages only), else null. */
  body: Buffer | null;
}

/**
 * Finds message boundaries in a stream of typed messages (after startup): each message is a
 * type byte and an int32 length counting itself and the body. Chunks may cut a message anywhere.
 * Bodies up to `keepBodyBytes` are collected (ReadyForQuery's status, AuthenticationOk's code);
 * longer ones are skipped without copying.
 */
export class FrameScanner {
  private header = Buffer.alloc(5);
  private headerBytes = 0;
  private remaining = 0;
  private type = 0;
  private body: Buffer | null = null;
  private bodyBytes = 0;

  constructor(private readonly keepBodyBytes = 8) {}

  /** True while a message has begun and not ended. */
  get inMessage(): boolean {
    return this.headerBytes > 0 || this.remaining > 0;
  }

  scan(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0 && this.headerBytes < 5) {
        const take = Math.min(5 - this.headerBytes, chunk.length - offset);
        chunk.copy(this.header, this.headerBytes, offset, offset + take);
        this.headerBytes += take;
        offset += take;
        if (this.headerBytes < 5) return;
        this.type = this.header[0]!;
        this.remaining = this.header.readInt32BE(1) - 4;
        this.body = this.remaining <= this.keepBodyBytes ? Buffer.alloc(this.remaining) : null;
        this.bodyBytes = 0;
        if (this.remaining === 0) this.finish(onFrame);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      if (this.body) chunk.copy(this.body, this.bodyBytes, offset, offset + take);
      this.bodyBytes += take;
      this.remaining -= take;
      offset += take;
      if (this.remaining === 0) this.finish(onFrame);
    }
  }

  private finish(onFrame: (frame: Frame) => void): void {
    this.headerBytes = 0;
    onFrame({ type: this.type, body: this.body });
  }
}

/**
 * Splits complete typed messages off the front of `buffer` (for streams the relay rewrites, i.e.
 * the client's, where Terminate must not reach a kept session). Returns the messages and the
 * incomplete rest.
 */
export function splitMessages(buffer: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 5) {
    const length = buffer.readInt32BE(offset + 1) + 1;
    if (buffer.length - offset < length) break;
    messages.push(buffer.subarray(offset, offset + length));
    offset += length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

/** A startup-phase packet (SSLRequest, StartupMessage, CancelRequest…) off the front of `buffer`. */
export function splitStartupPacket(
  buffer: Buffer,
): { packet: Buffer; code: number; rest: Buffer } | null {
  if (buffer.length < 8) return null;
  const length = buffer.readInt32BE(0);
  if (buffer.length < length) return null;
  return {
    packet: buffer.subarray(0, length),
    code: buffer.readInt32BE(4),
    rest: buffer.subarray(length),
  };
}

/** A simple Query message. */
export function queryMessage(text: string): Buffer {
  const body = Buffer.from(`${text}\0`, 'utf8');
  const message = Buffer.alloc(5 + body.length);
  message[0] = QUERY;
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return message;
}
