// The Workers TCP socket API (developers.cloudflare.com/workers/runtime-apis/tcp-sockets/),
// declared for what the SMTP client uses. @cloudflare/workers-types declares it only in its
// global (non-module) entry, which clashes with our DOM lib.
declare module 'cloudflare:sockets' {
  export interface SocketAddress {
    hostname: string;
    port: number;
  }

  export interface SocketOptions {
    secureTransport?: 'off' | 'on' | 'starttls';
    allowHalfOpen?: boolean;
  }

  export interface Socket {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    readonly opened: Promise<unknown>;
    readonly closed: Promise<void>;
    close(): Promise<void>;
    startTls(options?: { expectedServerHostname?: string }): Socket;
  }

  export function connect(address: SocketAddress | string, options?: SocketOptions): Socket;
}
