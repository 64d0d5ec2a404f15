import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactIdentities, contacts, inboundMessages } from '../../db/schema';
import { type MetaGraph, startMetaGraph } from '../../test/fakes/meta-graph';
import { inboundText, postMetaWebhook, whatsappWebhook } from '../../test/fakes/meta-webhooks';
import { TEST_GRAPH_VERSION, WHATSAPP_TEST_IDS } from '../channels/whatsapp-meta/test-fixtures';
import { publishWorkflow, sendConfig, waitFor, waitForRun } from '../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';
import { connectChannel, quietPeriod, workerFetch } from './test-flow';

/**
 * A contact created through the API with their E.164 phone writes in on WhatsApp, where their
 * WhatsApp id is another form of that number (workflow/phone-equivalents.ts): Mexico's `521` +
 * 10 digits for `+52` + 10 digits, an older Brazilian account without the ninth digit. In
 * workerd: the channel connected through GraphQL against the Graph stand-in, Meta's webhook
 * signed as Meta signs it and posted to the Worker's callback route, the callbacks queue
 * recording it, and a Last Interacted step answering.
 */

let harness: DispatchHarness;
let graph: MetaGraph;

beforeAll(async () => {
  graph = await startMetaGraph({ ...WHATSAPP_TEST_IDS, version: TEST_GRAPH_VERSION });
  harness = await startDispatchHarness({
    bindings: { GRAPH_API_URL: graph.url, GRAPH_API_VERSION: TEST_GRAPH_VERSION },
  });
});

afterAll(async () => {
  await harness?.close();
  await graph?.close();
});

function connectWhatsApp() {
  return connectChannel(
    harness,
    {
      type: 'WHATSAPP',
      name: 'Support WhatsApp',
      settings: {
        whatsapp: {
          phoneNumberId: WHATSAPP_TEST_IDS.phoneNumberId,
          businessAccountId: WHATSAPP_TEST_IDS.businessAccountId,
        },
      },
      credentials: {
        whatsapp: {
          accessToken: WHATSAPP_TEST_IDS.accessToken,
          appSecret: WHATSAPP_TEST_IDS.appSecret,
        },
      },
    },
    'id callback { url }',
  );
}

async function createContact(apiKey: string, input: Record<string, unknown>): Promise<string> {
  const result = await harness.gql(
    apiKey,
    `mutation ($input: ContactInput!) {
      createContact(input: $input) {
        __typename
        ... on MutationCreateContactSuccess { data { id } }
        ... on ValidationError { issues { code path message } }
      }
    }`,
    { input },
  );
  expect(result.data.createContact.__typename).toBe('MutationCreateContactSuccess');
  return result.data.createContact.data.id as string;
}

describe('a WhatsApp id in another form of the contact’s E.164 phone', () => {
  for (const [country, e164, waId] of [
    ['Mexico', '+525512345678', '5215512345678'],
    ['Brazil', '+5561987654321', '556187654321'],
  ] as const) {
    it(`${country}: the contact created with ${e164} receives the inbound from wa_id ${waId}, no twin is created, and a Last Interacted step answers the WhatsApp id`, async () => {
      const { workspaceId, apiKey, channel } = await connectWhatsApp();
      const contactId = await createContact(apiKey, { firstName: 'Lucía', phone: e164 });

      const response = await postMetaWebhook(
        channel.callback.url,
        whatsappWebhook(
          WHATSAPP_TEST_IDS,
          inboundText({ waId, name: 'Lucía Pérez' }, `wamid.in.${waId}.${Date.now()}`, 'Hola'),
        ),
        WHATSAPP_TEST_IDS.appSecret,
        'valid',
        workerFetch(harness),
      );
      expect(response.status).toBe(200);
      const [message] = await waitFor(
        async () => {
          const rows = await harness.db
            .select()
            .from(inboundMessages)
            .where(eq(inboundMessages.channelId, channel.id));
          return rows.length > 0 ? rows : undefined;
        },
        { what: `the inbound message from ${waId}` },
      );
      expect(message?.contactId).toBe(contactId);
      await quietPeriod();

      const all = await harness.db
        .select()
        .from(contacts)
        .where(eq(contacts.workspaceId, workspaceId));
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({
        id: contactId,
        firstName: 'Lucía',
        phone: e164,
        lastInteractedChannelId: channel.id,
      });
      const identities = await harness.db
        .select()
        .from(contactIdentities)
        .where(eq(contactIdentities.channelId, channel.id));
      expect(identities).toMatchObject([{ contactId, address: `+${waId}` }]);
      // The 24-hour window is open on the contact: a free-form text goes out.
      expect(identities[0]?.lastInboundAt).toBeInstanceOf(Date);

      const { workflowId } = await publishWorkflow(harness.db, workspaceId, [
        {
          key: 'answer',
          type: 'send_message',
          config: sendConfig({
            channel: { kind: 'last_interacted' },
            defaultMessage: { type: 'text', text: 'Hola $contact.firstname' },
          }),
        },
      ]);
      const [runId] = await startThroughApi(harness, apiKey, workflowId, [contactId]);
      const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
      expect(run.status).toBe('completed');
      const sent = graph.sends().filter((request) => request.json?.to === `+${waId}`);
      expect(sent).toHaveLength(1);
      expect(sent[0]?.json?.text).toEqual({ preview_url: false, body: 'Hola Lucía' });
    });
  }
});
