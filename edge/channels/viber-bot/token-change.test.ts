import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViberBotApi, type ViberBotApi } from '../../../test/fakes/viber-bot-api';
import { seedWorkspace } from '../../dispatch/test-seed';
import {
  type DispatchHarness,
  type GqlResult,
  startDispatchHarness,
} from '../../dispatch/test-support';
import { VIBER_TEST } from './test-fixtures';

/**
 * Giving a Viber channel another bot's auth token, end to end in workerd: Viber checks the
 * webhook URL at once with an event signed with the new token ("Setting a Webhook"), which the
 * Worker's callback route verifies against the channel as stored.
 */

const OTHER_BOT = {
  authToken: '4a1b2c3d4e5f6a7b-8c9d0e1f2a3b4c5d-6e7f8a9b0c1d2e3f',
  name: 'Other Bot',
};

let harness: DispatchHarness;
let viber: ViberBotApi;

beforeAll(async () => {
  viber = await startViberBotApi({
    authToken: VIBER_TEST.authToken,
    otherAccounts: [OTHER_BOT],
    allowHttpWebhook: true,
  });
  harness = await startDispatchHarness({ bindings: { VIBER_API_URL: viber.url } });
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await viber?.close();
});

/** A GraphQL call over the Worker's real address, so callback URLs are ones Viber can call. */
async function gql(apiKey: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${harness.worker.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GqlResult;
}

const FIELDS = 'id status statusDetail callback { url }';

describe('replacing a Viber channel’s auth token', () => {
  it('registers the webhook for the new bot (its signed check is verified with the new token) and releases the old one', async () => {
    const { apiKey } = await seedWorkspace(harness.db);
    const created = await gql(
      apiKey,
      `mutation ($input: CreateChannelInput!) {
        createChannel(input: $input) { ... on MutationCreateChannelSuccess { data { ${FIELDS} } } }
      }`,
      {
        input: {
          type: 'VIBER',
          name: 'Viber',
          settings: { viber: { senderName: VIBER_TEST.senderName } },
          credentials: { viber: { authToken: VIBER_TEST.authToken } },
        },
      },
    );
    const channel = created.data.createChannel.data;
    expect(channel.statusDetail).toBe('Verified: Sendflow Test, webhook set');
    expect(viber.webhook?.url).toBe(channel.callback.url);

    const updated = await gql(
      apiKey,
      `mutation ($id: ID!, $input: UpdateChannelInput!) {
        updateChannel(id: $id, input: $input) { ... on MutationUpdateChannelSuccess { data { ${FIELDS} } } }
      }`,
      { id: channel.id, input: { credentials: { viber: { authToken: OTHER_BOT.authToken } } } },
    );
    expect(updated.data.updateChannel.data).toMatchObject({
      status: 'CONNECTED',
      statusDetail: 'Verified: Other Bot, webhook set',
    });
    expect(viber.webhookOf(OTHER_BOT.authToken)?.url).toBe(channel.callback.url);
    expect(viber.webhook).toBeNull();
  });
});
