import { SmtpConnectionError, type SmtpReply, type SmtpStage } from './errors';

// `250-First line` continues a multi-line reply; `250 Last line` (or a bare `250`) ends it.
const REPLY_LINE = /^(\d{3})([ -]?)(.*)$/;
const ENHANCED_STATUS = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/;

/**
 * Reads SMTP replies (RFC 5321 §4.2) from a byte stream: buffers until a reply's last line
 * has arrived, then returns the whole reply. Tolerates bare LF line ends.
 */
export class SmtpReplyReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';
  #pending: string[] = [];

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#reader = reader;
  }

  /** The next complete reply; throws SmtpConnectionError when the stream ends first. */
  async read(stage: SmtpStage): Promise<SmtpReply> {
    for (;;) {
      const reply = this.#takeReply();
      if (reply) return reply;
      const { value, done } = await this.#reader.read();
      if (done) throw new SmtpConnectionError(stage, 'the server closed the connection');
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  #takeReply(): SmtpReply | undefined {
    for (;;) {
      const end = this.#buffer.indexOf('\n');
      if (end === -1) return undefined;
      const line = this.#buffer.slice(0, end).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(end + 1);
      const match = REPLY_LINE.exec(line);
      if (!match) continue;
      this.#pending.push(line);
      if (match[2] === '-') continue;
      const lines = this.#pending.map((text) => text.slice(4));
      this.#pending = [];
      const enhanced = ENHANCED_STATUS.exec(lines[0] ?? '');
      return {
        code: Number(match[1]),
        ...(enhanced?.[1] ? { enhancedStatus: enhanced[1] } : {}),
        lines,
      };
    }
  }

  /** Releases the stream so that the socket can be upgraded to TLS. */
  release(): void {
    this.#reader.releaseLock();
  }
}
