import type { IncomingHttpHeaders } from 'node:http';
import { verifyStandardWebhook } from '../../test/fakes/webhook-receiver';
import { type LocalServer, listenLocal } from './http-server';

/**
 * A custom-channel endpoint for throughput runs: it answers every POST with 200 at once, and
 * records when each distinct delivery (its `Idempotency-Key`) first arrived, how many arrived
 * twice, and whether the Standard Webhooks signature held (verified with test/fakes's
 * independent verifier, so a fast but unsigned pipeline would not pass).
 */
export interface ReceiptCounter {
  url: string;
  /** performance.now() of each distinct delivery's first arrival, in arrival order. */
  arrivals: number[];
  /** Wall-clock (epoch ms) first arrival of each delivery, by its idempotency key. */
  arrivedAt: Map<string, number>;
  /** Requests for a delivery that had already arrived. */
  duplicates: number;
  /** Requests whose signature did not verify, or that carried no idempotency key. */
  rejected: number;
  /** Signed requests whose JSON body `expectBody` refused. */
  wrongContent: number;
  /** Resolves when `count` distinct deliveries have arrived. */
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function bodyMatches(body: string, expectBody: (json: unknown) => boolean): boolean {
  try {
    return expectBody(JSON.parse(body));
  } catch {
    return false;
  }
}

/**
 * Starts a counter on 127.0.0.1 that verifies signatures with `secret` and each body with
 * `expectBody` (a delivery with the wrong content still counts as arrived, and as wrong).
 */
export async function startReceiptCounter(
  secret: string,
  expectBody: (json: unknown) => boolean,
): Promise<ReceiptCounter> {
  const arrivedAt = new Map<string, number>();
  const arrivals: number[] = [];
  const waiters: { count: number; resolve(): void }[] = [];
  const counter = { duplicates: 0, rejected: 0, wrongContent: 0 };

  const server: LocalServer = await listenLocal(function receive(request, response) {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      const key = header(request.headers, 'idempotency-key');
      const body = Buffer.concat(chunks).toString('utf8');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: `bench_${arrivals.length + 1}` }));
      if (!key || verifyStandardWebhook(secret, request.headers, body) !== undefined) {
        counter.rejected++;
        return;
      }
      if (!bodyMatches(body, expectBody)) counter.wrongContent++;
      if (arrivedAt.has(key)) {
        counter.duplicates++;
        return;
      }
      arrivedAt.set(key, performance.timeOrigin + at);
      arrivals.push(at);
      for (const waiter of [...waiters]) {
        if (arrivals.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  });

  return {
    url: `${server.url}/sendflow`,
    arrivals,
    arrivedAt,
    get duplicates() {
      return counter.duplicates;
    },
    get rejected() {
      return counter.rejected;
    },
    get wrongContent() {
      return counter.wrongContent;
    },
    waitFor(count, timeoutMs) {
      if (arrivals.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(`only ${arrivals.length} of ${count} deliveries arrived in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const waiter = {
          count,
          resolve() {
            clearTimeout(timer);
            resolve();
          },
        };
        waiters.push(waiter);
      });
    },
    close: () => server.close(),
  };
}
