import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RunningWorker, startWorker } from './workerd';

/**
 * edge/host/app.ts builds the API's Yoga server once per `env` object (a WeakMap keyed by
 * env): that is one server per isolate only if workerd hands every request of an isolate the
 * same env, as Cloudflare documents for the fetch handler ("as long as the environment has not
 * changed, the same object, equal by identity, is passed to all requests").
 */

let worker: RunningWorker;

beforeAll(async () => {
  worker = await startWorker({
    entry: 'test/fixtures/env-identity-worker.ts',
    bindings: { SOME_SETTING: 'value' },
  });
});

afterAll(async () => {
  await worker?.dispose();
});

test('workerd hands every request of an isolate the same env object, one after another and at once', async () => {
  const ask = async () =>
    (await (await fetch(`${worker.url}/`)).json()) as { envIndex: number; envsSeen: number };
  const sequential = [];
  for (let index = 0; index < 5; index++) sequential.push(await ask());
  const concurrent = await Promise.all(Array.from({ length: 10 }, ask));
  for (const answer of [...sequential, ...concurrent]) {
    expect(answer).toEqual({ envIndex: 0, envsSeen: 1 });
  }
});
