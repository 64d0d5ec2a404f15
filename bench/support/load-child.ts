import autocannon from 'autocannon';
import type { LoadPlan, LoadResult } from './load';

/**
 * The load generator's process (bench/support/load.ts forks it): autocannon runs here, on its
 * own event loop and core, so that the server under test does not share a thread with the
 * client measuring it.
 */

async function measure(plan: LoadPlan): Promise<LoadResult> {
  const options = {
    url: plan.url,
    connections: plan.connections,
    method: plan.method,
    headers: plan.headers,
    body: plan.body,
    expectBody: plan.expectBody,
  };
  // Warm-up: JIT, connection pools and caches settle; its figures are discarded.
  const warmup = await autocannon({ ...options, duration: plan.warmupSeconds });
  const result = await autocannon({ ...options, duration: plan.seconds });
  return {
    requestsPerSecond: result.requests.average,
    requests: result['2xx'] + result.non2xx,
    warmupRequests: warmup['2xx'] + warmup.non2xx,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    seconds: result.duration,
  };
}

process.once('message', (plan: LoadPlan) => {
  measure(plan).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: Error) => process.send?.({ ok: false, error: error.stack }, () => process.exit(1)),
  );
});
