import { afterAll, beforeAll, inject } from 'vitest';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { WEBHOOK_SECRET } from './test-seed';

/**
 * What a test file that runs the dispatch consumer in Node needs, opened before its tests and
 * closed after them: its own pool on the test Postgres, a cipher, and a Standard Webhooks
 * endpoint (signing with WEBHOOK_SECRET) for its custom channels. Kept apart from test-seed.ts,
 * which the benchmarks import outside vitest.
 */
export function useNodeDispatch(poolSize = 4) {
  const { db, pool, close } = createNodePostgres(inject('databaseUrl'), { max: poolSize });
  const cipher = new CredentialCipher(generateCredentialsKey());
  let endpoint: WebhookReceiver | undefined;
  beforeAll(async () => {
    endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
  });
  afterAll(async () => {
    await endpoint?.close();
    await close();
  });
  return {
    db,
    pool,
    cipher,
    /** The endpoint; started by the file's beforeAll. */
    get endpoint(): WebhookReceiver {
      if (!endpoint) throw new Error('useNodeDispatch: the endpoint starts in beforeAll');
      return endpoint;
    },
  };
}
