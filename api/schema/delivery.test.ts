import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCipher } from '../../db/credentials';
import { consumeRuns, seedRunsAtCustomSend, WEBHOOK_SECRET } from '../../edge/dispatch/test-seed';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import { useTestApi } from '../test-support';

/** Delivery over GraphQL: what a run's deliveries say about the sends dispatch made. */

const api = useTestApi();
let endpoint: WebhookReceiver;

beforeAll(async () => {
  endpoint = await startWebhookReceiver(WEBHOOK_SECRET);
});

afterAll(() => endpoint.close());

const RUN_DELIVERIES = /* GraphQL */ `
  query ($id: ID!) { run(id: $id) { deliveries { status reasonCode recipient } } }
`;

describe('Delivery.recipient', () => {
  it('is the address the message was sent to, on a sent and on a failed delivery', async () => {
    const target = { db: api.db, cipher: new CredentialCipher(api.credentialsKey) };
    // Each contact's address on the channel is their first name (seedRunsAtCustomSend).
    const { apiKey, runIds } = await seedRunsAtCustomSend(target, endpoint.url, [
      'ada-accepted',
      'bo-refused',
    ]);
    endpoint.respondWith((request) =>
      (request.json as { recipient: string }).recipient === 'bo-refused'
        ? { status: 400, body: 'unknown recipient' }
        : { status: 200 },
    );
    await consumeRuns(target, runIds);

    const deliveriesOf = async (id: string) => {
      const result = await api.gql(apiKey, RUN_DELIVERIES, { id });
      expect(result.errors).toBeUndefined();
      return result.data.run.deliveries;
    };
    expect(await deliveriesOf(runIds[0]!)).toEqual([
      { status: 'SENT', reasonCode: null, recipient: 'ada-accepted' },
    ]);
    expect(await deliveriesOf(runIds[1]!)).toEqual([
      { status: 'FAILED', reasonCode: 'REJECTED_BY_PROVIDER', recipient: 'bo-refused' },
    ]);
  });
});
