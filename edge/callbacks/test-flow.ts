import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { contactIdentities, contacts, deliveries } from '../../db/schema';
import type { SendMessageConfig } from '../../workflow/types';
import {
  publishWorkflow,
  readDeliveries,
  type StepSpec,
  seedWorkspace,
  sendConfig,
  waitFor,
} from '../dispatch/test-seed';
import type { DispatchHarness } from '../dispatch/test-support';

/**
 * What the channel flow tests (edge/callbacks/*-flow.test.ts) share: connecting a channel through
 * GraphQL as a frontend does, posting a provider's callback through the Worker, waiting for a
 * send the provider accepted, and the quiet period after which "nothing changed" means something.
 */

/** The channel fields the flow tests read back; a test may ask for more (WhatsApp templates). */
const CHANNEL_FIELDS = 'id type provider status statusDetail callback { url verifyToken }';

/** The `createChannel` mutation selecting `fields` of the new channel (or its issues). */
export function createChannelDocument(fields = CHANNEL_FIELDS): string {
  return /* GraphQL */ `
    mutation ($input: CreateChannelInput!) {
      createChannel(input: $input) {
        __typename
        ... on MutationCreateChannelSuccess { data { ${fields} } }
        ... on ValidationError { issues { code path message } }
      }
    }
  `;
}

/**
 * A new workspace with a channel created through GraphQL from `input` (the provider's stand-in
 * verifies the credentials); throws with the response when the API refused it.
 */
export async function connectChannel(
  harness: DispatchHarness,
  input: Record<string, unknown>,
  fields?: string,
) {
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const result = await harness.gql(apiKey, createChannelDocument(fields), { input });
  const channel = result.data?.createChannel?.data;
  if (!channel) throw new Error(`createChannel failed: ${JSON.stringify(result)}`);
  return { workspaceId, apiKey, channel };
}

/** A contact created through the API with `input` (a name, a phone…), as a frontend creates one. */
export async function createContactThroughApi(
  harness: DispatchHarness,
  apiKey: string,
  input: Record<string, unknown>,
): Promise<string> {
  const created = await harness.gql(
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
  if (created.data?.createContact?.__typename !== 'MutationCreateContactSuccess') {
    throw new Error(`createContact failed: ${JSON.stringify(created)}`);
  }
  return created.data.createContact.data.id as string;
}

/**
 * A contact created through GraphQL (`createContact`) with `firstName`, given an identity on
 * `channelId` at `address` (`upsertContactIdentity`) as an integrator who knows the person from
 * their own records does: they wrote in an hour ago. Returns the contact's id and what
 * `upsertContactIdentity` answered (its data or its validation issues).
 */
export async function contactThroughApi(
  harness: DispatchHarness,
  apiKey: string,
  { firstName, channelId, address }: { firstName: string; channelId: string; address: string },
) {
  const contactId = await createContactThroughApi(harness, apiKey, { firstName });
  const identity = await harness.gql(
    apiKey,
    `mutation ($input: UpsertContactIdentityInput!) {
      upsertContactIdentity(input: $input) {
        __typename
        ... on MutationUpsertContactIdentitySuccess { data { address } }
        ... on ValidationError { issues { code path message } }
      }
    }`,
    {
      input: {
        contactId,
        channelId,
        address,
        lastInboundAt: new Date(Date.now() - 3_600_000).toISOString(),
      },
    },
  );
  return { contactId, identity: identity.data.upsertContactIdentity };
}

/** A published one-step workflow that sends `text` on the channel `channelId`. */
export function textOnChannel(db: Database, workspaceId: string, channelId: string, text: string) {
  return publishWorkflow(db, workspaceId, [
    {
      key: 'send',
      type: 'send_message',
      config: sendConfig({
        channel: { kind: 'specific', channelId },
        defaultMessage: { type: 'text', text },
      }),
    },
  ]);
}

/** The Worker's fetch handler as a `fetch`, for the stand-ins' helpers that post callbacks. */
export function workerFetch(harness: DispatchHarness) {
  return (url: string, init: RequestInit): Promise<Response> =>
    harness.worker.dispatchFetch(url, init as never) as unknown as Promise<Response>;
}

/** One delivery row, read directly. */
export async function readDelivery(db: Database, id: string) {
  const [row] = await db.select().from(deliveries).where(eq(deliveries.id, id));
  return row;
}

type DeliveryRow = typeof deliveries.$inferSelect;

/** Waits until the delivery satisfies `done` (a callback recorded), and returns it. */
export function waitForDelivery(db: Database, id: string, done: (row: DeliveryRow) => boolean) {
  return waitFor(
    async () => {
      const row = await readDelivery(db, id);
      return row && done(row) ? row : undefined;
    },
    { what: `delivery ${id}` },
  );
}

/**
 * Waits until a person who wrote in on `channelId` from `address` is known: their identity on
 * the channel, with its last inbound time, and their contact.
 */
export async function waitForInboundContact(db: Database, channelId: string, address: string) {
  const identity = await waitFor(
    async () => {
      const [row] = await db
        .select()
        .from(contactIdentities)
        .where(
          and(eq(contactIdentities.channelId, channelId), eq(contactIdentities.address, address)),
        );
      return row?.lastInboundAt ? row : undefined;
    },
    { what: `the identity of ${address}` },
  );
  const [contact] = await db.select().from(contacts).where(eq(contacts.id, identity.contactId));
  if (!contact) throw new Error(`identity ${identity.id} has no contact`);
  return { identity, contact };
}

/** Waits until the run's (first) delivery is sent, i.e. the provider accepted it; returns it. */
export function waitForAcceptedSend(db: Database, runId: string) {
  return waitFor(
    async () => {
      const [row] = await readDeliveries(db, runId);
      return row?.status === 'sent' ? row : undefined;
    },
    { what: 'the accepted send' },
  );
}

/**
 * Long enough for the callbacks queue to have consumed and recorded a callback the Worker
 * accepted: a test that expects a refused or duplicate callback to change nothing waits this
 * long before reading, so that a wrong change would have had time to happen.
 */
const QUIET_MS = 1_500;

export function quietPeriod(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, QUIET_MS));
}

/**
 * The status tests' workflow: `notify` sends `text` on the channel (waiting up to
 * `confirmMinutes` for the provider to confirm delivery, when given) and on success moves to
 * `thanks`, a long wait; on failure to `fallback`, a send configured by `fallback`.
 */
export function notifyWithFallback(
  channelId: string,
  text: string,
  confirmMinutes: number | null,
  fallback: Partial<SendMessageConfig>,
): StepSpec[] {
  const channel = { kind: 'specific' as const, channelId };
  return [
    {
      key: 'notify',
      type: 'send_message',
      config: sendConfig({
        channel,
        defaultMessage: { type: 'text', text },
        failureBranchEnabled: true,
        ...(confirmMinutes ? { confirmDelivery: { timeoutMinutes: confirmMinutes } } : {}),
      }),
      next: 'thanks',
      failure: 'fallback',
    },
    { key: 'thanks', type: 'wait', config: { seconds: 3600 } },
    { key: 'fallback', type: 'send_message', config: sendConfig({ channel, ...fallback }) },
  ];
}
