import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { channels, runs } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { generateSigningSecret } from '../security/standard-webhooks';
import { consumeRuns, readDeliveries, seedRunsAtCustomSend, WEBHOOK_SECRET } from './test-seed';

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

/**
 * An endpoint that answers 410 Gone (the channel "cannot send": it goes into error) only once
 * `edit` has committed a change to the channel, i.e. while the send is in flight, as an
 * updateChannel made during a send would.
 */
async function goneAfter(edit: () => Promise<unknown>) {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      edit().then(
        () => response.writeHead(410).end('gone'),
        () => response.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gone`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

it('a refusal of what a send used leaves alone a channel edited or switched off while it was in flight', async () => {
  let channelId = '';
  // The endpoint's owner fixes it while the send is in flight: new URL and signing secret.
  const fixed = await goneAfter(async () => {
    await db
      .update(channels)
      .set({
        settings: { url: after.url },
        credentialsCiphertext: await cipher.encrypt({ signingSecret: newSecret }),
        status: 'connected',
        statusDetail: 'Verified',
      })
      .where(eq(channels.id, channelId));
  });
  try {
    const seeded = await seedRunsAtCustomSend({ db, cipher }, fixed.url, 1);
    channelId = seeded.channelId;
    await consumeRuns({ db, cipher }, seeded.runIds);
    const [delivery] = await readDeliveries(db, seeded.runIds[0]!);
    expect(delivery).toMatchObject({ status: 'failed', channelId });
    const [channel] = await db.select().from(channels).where(eq(channels.id, channelId));
    // The 410 came from the old endpoint; the channel keeps the new one and sends with it.
    expect(channel).toMatchObject({
      status: 'connected',
      statusDetail: 'Verified',
      settings: { url: after.url },
    });
  } finally {
    await fixed.close();
  }

  // Switched off while in flight: it stays off rather than going into error.
  const switchedOff = await goneAfter(() =>
    db.update(channels).set({ status: 'disconnected' }).where(eq(channels.id, channelId)),
  );
  try {
    const seeded = await seedRunsAtCustomSend({ db, cipher }, switchedOff.url, 1);
    channelId = seeded.channelId;
    await consumeRuns({ db, cipher }, seeded.runIds);
    const [channel] = await db.select().from(channels).where(eq(channels.id, channelId));
    expect(channel?.status).toBe('disconnected');
  } finally {
    await switchedOff.close();
  }
});
