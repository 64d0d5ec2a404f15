import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { channels, runs } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { generateSigningSecret } from '../security/standard-webhooks';
import { consumeRuns, seedRunsAtCustomSend, WEBHOOK_SECRET } from './test-seed';

/**
 * A batch reads each channel once (its record, parsed settings, checked URL and imported signing
 * key are shared by the batch's sends): what it reads must be the channel as it is when the batch
 * loads it. An edit between two batches (a new endpoint and a new secret) is what the next batch
 * sends with; the old endpoint gets nothing more. Real consumer in Node, real Postgres, real HTTP.
 */

const { db, close } = createNodePostgres(inject('databaseUrl'), { max: 4 });
const cipher = new CredentialCipher(generateCredentialsKey());
const newSecret = generateSigningSecret();
let before: WebhookReceiver;
let after: WebhookReceiver;

beforeAll(async () => {
  before = await startWebhookReceiver(WEBHOOK_SECRET);
  after = await startWebhookReceiver(newSecret);
});

afterAll(async () => {
  await before?.close();
  await after?.close();
  await close();
});

it('sends each batch with the channel as it is when the batch loads it', async () => {
  const { channelId, runIds } = await seedRunsAtCustomSend({ db, cipher }, before.url, 6);
  await consumeRuns({ db, cipher }, runIds.slice(0, 3));
  expect(before.requests).toHaveLength(3);

  await db
    .update(channels)
    .set({
      settings: { url: after.url },
      credentialsCiphertext: await cipher.encrypt({ signingSecret: newSecret }),
    })
    .where(eq(channels.id, channelId));
  await consumeRuns({ db, cipher }, runIds.slice(3));

  expect(before.requests).toHaveLength(3);
  expect(after.requests).toHaveLength(3);
  // Each receiver verifies with its own secret: the second batch signed with the new one.
  for (const request of [...before.requests, ...after.requests]) {
    expect(request.signatureError).toBeUndefined();
  }
  const done = await db.select({ status: runs.status }).from(runs).where(eq(runs.id, runIds[5]!));
  expect(done).toEqual([{ status: 'completed' }]);
});
