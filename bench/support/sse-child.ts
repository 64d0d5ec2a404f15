import { openSse, type SseStream } from '../../edge/events/test-sse';
import type { SseArrival, SsePlan, SseReport } from './sse-subscribers';

/**
 * The SSE subscribers' process (bench/support/sse-subscribers.ts forks it): the streams are
 * read here, on their own event loop, so that the time a message is read off the wire is not
 * delayed by what the benchmark's own process serves meanwhile (the database proxy the Worker
 * reaches Postgres through, the stand-in provider receiving every send).
 */

/** `occurredAt` of a `next` message's `deliveryEvents` payload, in ms since the epoch. */
function occurredAtOf(data: string): number {
  const parsed = JSON.parse(data) as { data?: { deliveryEvents?: { occurredAt?: string } } };
  return Date.parse(parsed.data?.deliveryEvents?.occurredAt ?? '');
}

async function subscribe(plan: SsePlan): Promise<void> {
  const streams: SseStream[] = [];
  for (let index = 0; index < plan.subscribers; index++) {
    streams.push(await openSse(plan.url, plan.apiKey, { query: plan.query }));
  }
  process.send?.({ kind: 'ready' });
  // Every stream is awaited at once and parsed only after the last message arrived: parsing
  // one subscriber's 1,000 messages as soon as it completed (tens of ms of this process's CPU)
  // held back reading the others' last burst, which the latency then counted.
  const received = await Promise.all(
    streams.map((stream) => stream.nexts(plan.events, plan.timeoutMs).catch(() => stream.messages)),
  );
  for (const stream of streams) stream.drop();
  const arrivals: SseArrival[][] = received.map((messages) =>
    messages
      .filter((message) => message.event === 'next')
      .map((message) => [Number(message.id), message.receivedAt, occurredAtOf(message.data)]),
  );
  const report: SseReport = { kind: 'done', arrivals };
  process.send?.(report, () => process.exit(0));
}

process.once('message', (plan: SsePlan) => {
  subscribe(plan).catch((error: Error) =>
    process.send?.({ kind: 'failed', error: error.stack }, () => process.exit(1)),
  );
});
