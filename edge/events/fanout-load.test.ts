import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../api/api-keys';
import { contactIdentities, contacts } from '../../db/schema';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import {
  publishWorkflow,
  seedCustomChannel,
  seedWorkspace,
  sendConfig,
  WEBHOOK_SECRET,
} from '../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';
import { openSse, type SseStream } from './test-sse';

/**
 * The fan-out under load, in workerd: 200 subscribers of one workspace each receive the
 * `delivery.sent` event of every send of a 1,000-send run, in cursor order, each once, while a
 * subscriber of another workspace receives none. Heavy: one test, a generous timeout.
 */

const SUBSCRIBERS = Number(process.env.FANOUT_SUBSCRIBERS ?? 200);
const SENDS = Number(process.env.FANOUT_SENDS ?? 1_000);
const EVENTS = SENDS;
/** Subscribers connect in waves, as a fleet of partner processes would. */
const WAVE = 25;

let harness: DispatchHarness;
let endpoint: WebhookReceiver;

beforeAll(async () => {
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
  harness = await startDispatchHarness({
    maxBatchSize: 100,
    bindings: { MAX_STREAMS_PER_KEY: String(SUBSCRIBERS + 10) },
  });
});

afterAll(async () => {
  await harness?.close();
  await endpoint?.close();
});

/**
 * Subscribers ask for the sends only (one event per send): all four events per send to 200
 * subscribers is 800,000 SSE messages, beyond what this shared 2-core machine drains in a test.
 */
const SENT_ONLY = /* GraphQL */ `
  subscription { deliveryEvents(filter: { types: [DELIVERY_SENT] }) { cursor type } }
`;

describe('fan-out to many subscribers', () => {
  it(`${SUBSCRIBERS} subscribers each get all ${EVENTS} events of a ${SENDS}-send run; another workspace gets none`, async () => {
    const { workspaceId, apiKey } = await seedWorkspace(harness.db);
    const partner = await issueApiKey(harness.db, {
      workspaceId,
      name: 'Partner',
      scopes: ['read'],
    });
    const channelId = await seedCustomChannel(harness, workspaceId, endpoint.url);
    const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
      {
        key: 'hello',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId },
          defaultMessage: { type: 'text', text: 'Hi $contact.firstname' },
        }),
      },
    ]);
    const contactRows = await harness.db
      .insert(contacts)
      .values(
        Array.from({ length: SENDS }, (_, index) => ({ workspaceId, firstName: `L${index}` })),
      )
      .returning({ id: contacts.id });
    await harness.db.insert(contactIdentities).values(
      contactRows.map((row, index) => ({
        workspaceId,
        contactId: row.id,
        channelId,
        address: `l${index}`,
      })),
    );
    const other = await seedWorkspace(harness.db);

    const url = `${harness.worker.url}/graphql/stream`;
    const streams: SseStream[] = [];
    for (let start = 0; start < SUBSCRIBERS; start += WAVE) {
      const wave = await Promise.all(
        Array.from({ length: WAVE }, () => openSse(url, partner.plaintext, { query: SENT_ONLY })),
      );
      streams.push(...wave);
    }
    const stranger = await openSse(url, other.apiKey, { query: SENT_ONLY });
    expect(streams.map((stream) => stream.status)).toEqual(streams.map(() => 200));

    const ids = contactRows.map((row) => row.id);
    for (let start = 0; start < SENDS; start += 250) {
      await startThroughApi(harness, apiKey, workflowId, ids.slice(start, start + 250));
    }
    let expected: string[] | undefined;
    for (const stream of streams) {
      const received = await stream.nexts(EVENTS, 800_000);
      const ids = received.map((message) => message.id);
      expect(new Set(ids).size).toBe(EVENTS);
      expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
      // Every subscriber saw the same events: the run's sends, each once, in cursor order.
      expected ??= ids as string[];
      expect(ids).toEqual(expected);
    }
    expect(stranger.messages.filter((message) => message.event === 'next')).toEqual([]);
    for (const stream of [...streams, stranger]) stream.drop();
  }, 900_000);
});
