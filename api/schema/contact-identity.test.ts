import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addressLockKey, lockAddresses } from '../../db/address-locks';
import type { Database } from '../../db/client';
import { channels, contacts } from '../../db/schema';
import { CHANNEL_INTEGRATIONS } from '../../edge/channels/registry';
import { type TestWorkspace, useTestApi } from '../test-support';
import { duringDelete } from '../workflows/test-fixtures';

const api = useTestApi();

const UPSERT = /* GraphQL */ `
  mutation ($input: UpsertContactIdentityInput!) {
    upsertContactIdentity(input: $input) {
      __typename
      ... on MutationUpsertContactIdentitySuccess { data { id address lastInboundAt channel { id type } contact { id } } }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity id }
    }
  }
`;
/** UPSERT with each issue's message, for the tests that read it. */
const UPSERT_MESSAGES = UPSERT.replace('issues { code path }', 'issues { code path message }');
const SET_LAST = /* GraphQL */ `
  mutation ($contactId: ID!, $channelId: ID) {
    setLastInteractedChannel(contactId: $contactId, channelId: $channelId) {
      __typename
      ... on MutationSetLastInteractedChannelSuccess { data { lastInteractedChannel { id name } } }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity id }
    }
  }
`;
const CONTACT = /* GraphQL */ `
  query ($id: ID!) {
    contact(id: $id) {
      identities { id address lastInboundAt channel { type } }
      lastInteractedChannel { id }
    }
  }
`;

async function createContact(ws: TestWorkspace, firstName = 'Ada') {
  const result = await api.gql(
    ws.apiKey,
    'mutation ($input: ContactInput!) { createContact(input: $input) { ... on MutationCreateContactSuccess { data { id } } } }',
    { input: { firstName } },
  );
  return result.data.createContact.data.id as string;
}

describe('contact identities', () => {
  it('adds an identity per channel and updates it in place on a second upsert', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const whatsapp = await api.createChannel(ws.apiKey, 'WHATSAPP');
    const email = await api.createChannel(ws.apiKey, 'EMAIL');
    const first = await api.gql(ws.apiKey, UPSERT, {
      input: {
        contactId,
        channelId: whatsapp,
        address: '+14155550100',
        lastInboundAt: '2026-01-02T03:04:05.000Z',
      },
    });
    expect(first.data.upsertContactIdentity.data).toMatchObject({
      address: '+14155550100',
      lastInboundAt: '2026-01-02T03:04:05.000Z',
      channel: { id: whatsapp, type: 'WHATSAPP' },
      contact: { id: contactId },
    });
    // The same address again, without a time, keeps its window.
    const again = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: whatsapp, address: '+14155550100' },
    });
    expect(again.data.upsertContactIdentity.data).toMatchObject({
      id: first.data.upsertContactIdentity.data.id,
      lastInboundAt: '2026-01-02T03:04:05.000Z',
    });
    // Another number has not written in: the window of the old one does not carry over.
    const second = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: whatsapp, address: '+14155550199' },
    });
    expect(second.data.upsertContactIdentity.data).toMatchObject({
      id: first.data.upsertContactIdentity.data.id,
      address: '+14155550199',
      lastInboundAt: null,
    });
    await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: email, address: 'ada@example.com' },
    });

    const contact = await api.gql(ws.apiKey, CONTACT, { id: contactId });
    expect(contact.data.contact.identities).toEqual([
      expect.objectContaining({ address: '+14155550199', channel: { type: 'WHATSAPP' } }),
      expect.objectContaining({
        address: 'ada@example.com',
        lastInboundAt: null,
        channel: { type: 'EMAIL' },
      }),
    ]);
  });

  it("checks the address against the channel's type", async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const cases = [
      ['EMAIL', 'not-an-email', 'INVALID_EMAIL'],
      ['WHATSAPP', '0612345678', 'INVALID_PHONE'],
      ['SMS', '+1 415 555', 'INVALID_PHONE'],
      ['MESSENGER', 'psid-abc', 'INVALID_VALUE'],
      ['TELEGRAM', '@username', 'INVALID_VALUE'],
      ['CUSTOM', ' ', 'INVALID_VALUE'],
    ] as const;
    for (const [type, address, code] of cases) {
      const channelId = await api.createChannel(ws.apiKey, type);
      const result = await api.gql(ws.apiKey, UPSERT, { input: { contactId, channelId, address } });
      expect(result.data.upsertContactIdentity.issues, type).toEqual([{ code, path: 'address' }]);
    }
    const contact = await api.gql(ws.apiKey, CONTACT, { id: contactId });
    expect(contact.data.contact.identities).toEqual([]);
  });

  it("takes a business-scoped user ID or parent BSUID on a WhatsApp channel through Meta's Cloud API, and refuses a malformed one as INVALID_PHONE", async () => {
    const ws = await api.createWorkspace();
    const [ada, alan] = [await createContact(ws, 'Ada'), await createContact(ws, 'Alan')];
    const whatsapp = await api.createChannel(ws.apiKey, 'WHATSAPP');
    const bsuid = await api.gql(ws.apiKey, UPSERT_MESSAGES, {
      input: { contactId: ada, channelId: whatsapp, address: ' US.13491208655302741918 ' },
    });
    expect(bsuid.data.upsertContactIdentity.data).toMatchObject({
      address: 'US.13491208655302741918',
      channel: { id: whatsapp, type: 'WHATSAPP' },
    });
    const parent = await api.gql(ws.apiKey, UPSERT_MESSAGES, {
      input: { contactId: alan, channelId: whatsapp, address: 'US.ENT.11815799212886844830' },
    });
    expect(parent.data.upsertContactIdentity.data.address).toBe('US.ENT.11815799212886844830');
    for (const address of ['us.13491208655302741918', 'US.1349-1208', 'US:13491208655302741918']) {
      const result = await api.gql(ws.apiKey, UPSERT_MESSAGES, {
        input: { contactId: ada, channelId: whatsapp, address },
      });
      expect(result.data.upsertContactIdentity, address).toEqual({
        __typename: 'ValidationError',
        issues: [
          {
            code: 'INVALID_PHONE',
            path: 'address',
            message:
              'Must be E.164 (+ and 7 to 15 digits), e.g. +14155550100, or a business-scoped user ID such as US.13491208655302741918',
          },
        ],
      });
    }
    const contact = await api.gql(ws.apiKey, CONTACT, { id: ada });
    expect(contact.data.contact.identities).toEqual([
      expect.objectContaining({ address: 'US.13491208655302741918' }),
    ]);
  });

  it('takes a business-scoped user ID on WhatsApp through 360dialog or Vonage as through Meta, and refuses one through Twilio, naming the provider and those that take one', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const whatsapp = CHANNEL_INTEGRATIONS.filter(
      ({ definition }) => definition.type === 'whatsapp' && definition.provider !== 'meta',
    ).map(({ definition }) => definition);
    expect(whatsapp.map((definition) => definition.provider).sort()).toEqual([
      'dialog360',
      'twilio',
      'vonage',
    ]);
    for (const definition of whatsapp) {
      const [channel] = await api.db
        .insert(channels)
        .values({
          workspaceId: ws.workspaceId,
          type: 'whatsapp',
          provider: definition.provider,
          name: definition.label,
        })
        .returning({ id: channels.id });
      const bsuid = await api.gql(ws.apiKey, UPSERT_MESSAGES, {
        input: { contactId, channelId: channel!.id, address: 'US.13491208655302741918' },
      });
      if (definition.provider === 'twilio') {
        expect(bsuid.data.upsertContactIdentity.issues, definition.provider).toEqual([
          {
            code: 'INVALID_PHONE',
            path: 'address',
            message: `${definition.label} sends to phone numbers only: must be E.164 (+ and 7 to 15 digits), e.g. +14155550100 (a business-scoped user ID needs a WhatsApp channel through Meta's Cloud API, 360dialog or Vonage)`,
          },
        ]);
      } else {
        expect(bsuid.data.upsertContactIdentity.data?.address, definition.provider).toBe(
          'US.13491208655302741918',
        );
      }
      const phone = await api.gql(ws.apiKey, UPSERT_MESSAGES, {
        input: { contactId, channelId: channel!.id, address: '+14155550100' },
      });
      expect(phone.data.upsertContactIdentity.data?.address, definition.provider).toBe(
        '+14155550100',
      );
    }
    // An SMS channel never takes one either.
    const sms = await api.createChannel(ws.apiKey, 'SMS');
    const result = await api.gql(ws.apiKey, UPSERT_MESSAGES, {
      input: { contactId, channelId: sms, address: 'US.13491208655302741918' },
    });
    expect(result.data.upsertContactIdentity.issues).toEqual([
      {
        code: 'INVALID_PHONE',
        path: 'address',
        message: 'Must be E.164 (+ and 7 to 15 digits), e.g. +14155550100',
      },
    ]);
  });

  it('refuses an address another contact already has on the same channel', async () => {
    const ws = await api.createWorkspace();
    const [ada, alan] = [await createContact(ws, 'Ada'), await createContact(ws, 'Alan')];
    const channelId = await api.createChannel(ws.apiKey, 'SMS');
    await api.gql(ws.apiKey, UPSERT, {
      input: { contactId: ada, channelId, address: '+15555550100' },
    });
    const result = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId: alan, channelId, address: '+15555550100' },
    });
    expect(result.data.upsertContactIdentity.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'address' },
    ]);
  });

  it('reports an unknown contact as NotFoundError and an unknown channel as CHANNEL_NOT_FOUND', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const channelId = await api.createChannel(ws.apiKey);
    const missing = '00000000-0000-4000-8000-000000000000';
    const noContact = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId: missing, channelId, address: 'a@b.co' },
    });
    expect(noContact.data.upsertContactIdentity).toEqual({
      __typename: 'NotFoundError',
      entity: 'Contact',
      id: missing,
    });
    const noChannel = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: missing, address: 'a@b.co' },
    });
    expect(noChannel.data.upsertContactIdentity.issues).toEqual([
      { code: 'CHANNEL_NOT_FOUND', path: 'channelId' },
    ]);
  });

  it('deletes an identity', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const channelId = await api.createChannel(ws.apiKey);
    const created = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId, address: 'ada@example.com' },
    });
    const id = created.data.upsertContactIdentity.data.id;
    const DELETE =
      'mutation ($id: ID!) { deleteContactIdentity(id: $id) { __typename ... on MutationDeleteContactIdentitySuccess { data } ... on NotFoundError { entity } } }';
    expect((await api.gql(ws.apiKey, DELETE, { id })).data.deleteContactIdentity.data).toBe(id);
    expect((await api.gql(ws.apiKey, DELETE, { id })).data.deleteContactIdentity.entity).toBe(
      'ContactIdentity',
    );
    expect((await api.gql(ws.apiKey, CONTACT, { id: contactId })).data.contact.identities).toEqual(
      [],
    );
  });

  it('sets and clears the last interacted channel; deleting the channel clears it too', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const channelId = await api.createChannel(ws.apiKey, 'TELEGRAM', 'Bot');
    const set = await api.gql(ws.apiKey, SET_LAST, { contactId, channelId });
    expect(set.data.setLastInteractedChannel.data.lastInteractedChannel).toEqual({
      id: channelId,
      name: 'Bot',
    });
    const cleared = await api.gql(ws.apiKey, SET_LAST, { contactId, channelId: null });
    expect(cleared.data.setLastInteractedChannel.data.lastInteractedChannel).toBeNull();

    await api.gql(ws.apiKey, SET_LAST, { contactId, channelId });
    await api.gql(ws.apiKey, 'mutation ($id: ID!) { deleteChannel(id: $id) { __typename } }', {
      id: channelId,
    });
    const after = await api.gql(ws.apiKey, CONTACT, { id: contactId });
    expect(after.data.contact.lastInteractedChannel).toBeNull();
  });

  it("follows the contact's most recent interaction, whether an identity's lastInboundAt or setLastInteractedChannel", async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const whatsapp = await api.createChannel(ws.apiKey, 'WHATSAPP');
    const sms = await api.createChannel(ws.apiKey, 'SMS');
    const lastInteracted = async () =>
      (await api.gql(ws.apiKey, CONTACT, { id: contactId })).data.contact.lastInteractedChannel?.id;
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

    await api.gql(ws.apiKey, UPSERT, {
      input: {
        contactId,
        channelId: whatsapp,
        address: '+14155550101',
        lastInboundAt: hoursAgo(2),
      },
    });
    expect(await lastInteracted()).toBe(whatsapp);
    // An older inbound message on SMS does not take over…
    await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: sms, address: '+14155550101', lastInboundAt: hoursAgo(3) },
    });
    expect(await lastInteracted()).toBe(whatsapp);
    // …a newer one does.
    await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: sms, address: '+14155550101', lastInboundAt: hoursAgo(1) },
    });
    expect(await lastInteracted()).toBe(sms);
    // Setting it outright is an interaction now, newer than both.
    await api.gql(ws.apiKey, SET_LAST, { contactId, channelId: whatsapp });
    expect(await lastInteracted()).toBe(whatsapp);
    await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: sms, address: '+14155550101', lastInboundAt: hoursAgo(0.5) },
    });
    expect(await lastInteracted()).toBe(whatsapp);
  });

  it('refuses a lastInboundAt in the future or before 1970, writing nothing', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const sms = await api.createChannel(ws.apiKey, 'SMS');
    const whatsapp = await api.createChannel(ws.apiKey, 'WHATSAPP');
    await api.gql(ws.apiKey, SET_LAST, { contactId, channelId: sms });
    const before = await api.gql(ws.apiKey, CONTACT, { id: contactId });
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    // A future one would keep WhatsApp the last interacted channel against every real message
    // until then; the others are before anything Postgres or a provider could have recorded.
    for (const lastInboundAt of [inAnHour, '9999-12-31T23:59:59Z', '1969-12-31T23:59:59Z']) {
      const result = await api.gql(ws.apiKey, UPSERT, {
        input: { contactId, channelId: whatsapp, address: '+14155550101', lastInboundAt },
      });
      expect(result.errors, lastInboundAt).toBeUndefined();
      expect(result.data.upsertContactIdentity, lastInboundAt).toEqual({
        __typename: 'ValidationError',
        issues: [{ code: 'INVALID_VALUE', path: 'lastInboundAt' }],
      });
    }
    // Years outside 0001 to 9999 are no DateTime at all (api/date-time.ts): the request is refused.
    for (const lastInboundAt of [
      '+275760-09-13T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '-010000-01-01T00:00:00Z',
    ]) {
      const result = await api.gql(ws.apiKey, UPSERT, {
        input: { contactId, channelId: whatsapp, address: '+14155550101', lastInboundAt },
      });
      expect(result.errors?.[0]?.message, lastInboundAt).toContain('Invalid DateTime');
    }
    expect(await api.gql(ws.apiKey, CONTACT, { id: contactId })).toEqual(before);
    // A client clock a little ahead of ours is taken.
    const skewed = await api.gql(ws.apiKey, UPSERT, {
      input: {
        contactId,
        channelId: whatsapp,
        address: '+14155550101',
        lastInboundAt: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    expect(skewed.data.upsertContactIdentity.__typename).toBe(
      'MutationUpsertContactIdentitySuccess',
    );
  });

  it('answers a contact or channel deleted during the write with the typed error', async () => {
    const ws = await api.createWorkspace();
    const sms = await api.createChannel(ws.apiKey, 'SMS');
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const upsert = (contactId: string, channelId: string, address: string) =>
      api.gql(ws.apiKey, UPSERT, {
        input: { contactId, channelId, address, lastInboundAt: anHourAgo },
      });

    const gone = await createContact(ws, 'Gone');
    const contactGone = await duringDelete(
      api.db,
      (tx) => tx.delete(contacts).where(eq(contacts.id, gone)),
      () => upsert(gone, sms, '+14155550101'),
    );
    expect(contactGone.errors).toBeUndefined();
    expect(contactGone.data.upsertContactIdentity).toEqual({
      __typename: 'NotFoundError',
      entity: 'Contact',
      id: gone,
    });

    const contactId = await createContact(ws);
    const writes = [
      (channelId: string) => upsert(contactId, channelId, '12345'),
      (channelId: string) => api.gql(ws.apiKey, SET_LAST, { contactId, channelId }),
    ];
    for (const write of writes) {
      const doomed = await api.createChannel(ws.apiKey, 'TELEGRAM');
      const channelGone = await duringDelete(
        api.db,
        (tx) => tx.delete(channels).where(eq(channels.id, doomed)),
        () => write(doomed),
      );
      expect(channelGone.errors).toBeUndefined();
      expect(Object.values(channelGone.data)[0]).toEqual({
        __typename: 'ValidationError',
        issues: [{ code: 'CHANNEL_NOT_FOUND', path: 'channelId' }],
      });
    }
    const after = await api.gql(ws.apiKey, CONTACT, { id: contactId });
    expect(after.data.contact).toEqual({ identities: [], lastInteractedChannel: null });
  });

  it('rejects an unknown channel as the last interacted one', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const result = await api.gql(ws.apiKey, SET_LAST, { contactId, channelId: 'nope' });
    expect(result.data.setLastInteractedChannel.issues).toEqual([
      { code: 'CHANNEL_NOT_FOUND', path: 'channelId' },
    ]);
  });
});

describe('contact identities (bug hunt)', () => {
  it('refuses an e-mail address another contact has on the channel in another letter case; the same contact may change its case', async () => {
    const ws = await api.createWorkspace();
    const [ada, alan] = [await createContact(ws, 'Ada'), await createContact(ws, 'Alan')];
    const channelId = await api.createChannel(ws.apiKey, 'EMAIL');
    const first = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId: ada, channelId, address: 'ada@example.com' },
    });
    expect(first.data.upsertContactIdentity.__typename).toBe(
      'MutationUpsertContactIdentitySuccess',
    );
    const other = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId: alan, channelId, address: 'Ada@EXAMPLE.com' },
    });
    expect(other.data.upsertContactIdentity).toEqual({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'address' }],
    });
    const same = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId: ada, channelId, address: 'Ada@Example.com' },
    });
    expect(same.data.upsertContactIdentity.data.address).toBe('Ada@Example.com');
    // Ids on other networks are compared exactly: Viber-style ids differ by case.
    const telegram = await api.createChannel(ws.apiKey, 'CUSTOM');
    for (const [contactId, address] of [
      [ada, 'user-AbC'],
      [alan, 'user-abc'],
    ] as const) {
      const result = await api.gql(ws.apiKey, UPSERT, {
        input: { contactId, channelId: telegram, address },
      });
      expect(result.data.upsertContactIdentity.__typename).toBe(
        'MutationUpsertContactIdentitySuccess',
      );
    }
  });

  it('never moves lastInboundAt back: an older time (a backfill) keeps the newer window', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const whatsapp = await api.createChannel(ws.apiKey, 'WHATSAPP');
    const recent = new Date(Date.now() - 60_000).toISOString();
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: whatsapp, address: '+14155550100', lastInboundAt: recent },
    });
    const backfill = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: whatsapp, address: '+14155550100', lastInboundAt: old },
    });
    expect(backfill.data.upsertContactIdentity.data.lastInboundAt).toBe(recent);
    const newer = new Date(Date.now() - 1_000).toISOString();
    const moved = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: whatsapp, address: '+14155550100', lastInboundAt: newer },
    });
    expect(moved.data.upsertContactIdentity.data.lastInboundAt).toBe(newer);
  });

  it("refuses another workspace's channel, contact and identity", async () => {
    const ws = await api.createWorkspace();
    const other = await api.createWorkspace();
    const contactId = await createContact(ws);
    const theirContact = await createContact(other);
    const theirChannel = await api.createChannel(other.apiKey, 'SMS');
    const ours = await api.createChannel(ws.apiKey, 'SMS');
    const onTheirs = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId, channelId: theirChannel, address: '+14155550100' },
    });
    expect(onTheirs.data.upsertContactIdentity.issues).toEqual([
      { code: 'CHANNEL_NOT_FOUND', path: 'channelId' },
    ]);
    const theirs = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId: theirContact, channelId: ours, address: '+14155550100' },
    });
    expect(theirs.data.upsertContactIdentity.__typename).toBe('NotFoundError');
    const identity = await api.gql(other.apiKey, UPSERT, {
      input: { contactId: theirContact, channelId: theirChannel, address: '+14155550100' },
    });
    const id = identity.data.upsertContactIdentity.data.id;
    const del = await api.gql(
      ws.apiKey,
      'mutation ($id: ID!) { deleteContactIdentity(id: $id) { __typename } }',
      { id },
    );
    expect(del.data.deleteContactIdentity.__typename).toBe('NotFoundError');
    const setLast = await api.gql(ws.apiKey, SET_LAST, { contactId, channelId: theirChannel });
    expect(setLast.data.setLastInteractedChannel.issues).toEqual([
      { code: 'CHANNEL_NOT_FOUND', path: 'channelId' },
    ]);
  });
});

describe('contact identities: one number in two forms', () => {
  it("refuses a WhatsApp number another contact has on the channel in its other form (Mexico's old mobile 1, Brazil's ninth digit), naming that form; the same contact may change forms", async () => {
    const ws = await api.createWorkspace();
    const [ada, alan] = [await createContact(ws, 'Ada'), await createContact(ws, 'Alan')];
    const channelId = await api.createChannel(ws.apiKey, 'WHATSAPP');
    for (const [theirs, other] of [
      ['+5215512345678', '+525512345678'],
      ['+556187654321', '+5561987654321'],
    ] as const) {
      const first = await api.gql(ws.apiKey, UPSERT, {
        input: { contactId: ada, channelId, address: theirs },
      });
      expect(first.data.upsertContactIdentity.__typename).toBe(
        'MutationUpsertContactIdentitySuccess',
      );
      const refused = await api.gql(ws.apiKey, UPSERT_MESSAGES, {
        input: { contactId: alan, channelId, address: other },
      });
      expect(refused.data.upsertContactIdentity).toEqual({
        __typename: 'ValidationError',
        issues: [
          {
            code: 'INVALID_VALUE',
            path: 'address',
            message: `Another contact already has this number on this channel, as ${theirs} (the same subscriber's number in another form)`,
          },
        ],
      });
      const same = await api.gql(ws.apiKey, UPSERT, {
        input: { contactId: ada, channelId, address: other },
      });
      expect(same.data.upsertContactIdentity.data.address).toBe(other);
    }
    // Numbers with no other form, and other channels, are compared exactly as before.
    const sms = await api.createChannel(ws.apiKey, 'SMS');
    for (const [contactId, address] of [
      [ada, '+525512345678'],
      [alan, '+14155550100'],
    ] as const) {
      const result = await api.gql(ws.apiKey, UPSERT, {
        input: { contactId, channelId: sms, address },
      });
      expect(result.data.upsertContactIdentity.__typename).toBe(
        'MutationUpsertContactIdentitySuccess',
      );
    }
    const landline = await api.gql(ws.apiKey, UPSERT, {
      input: { contactId: alan, channelId, address: '+556132345678' },
    });
    expect(landline.data.upsertContactIdentity.__typename).toBe(
      'MutationUpsertContactIdentitySuccess',
    );
  });
});

describe('contact identities: their window follows the address', () => {
  it('keeps lastInboundAt for the same address in another letter case or number form, and gives another address only the time given with it', async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const whatsapp = await api.createChannel(ws.apiKey, 'WHATSAPP');
    const email = await api.createChannel(ws.apiKey, 'EMAIL');
    const at = '2026-01-02T03:04:05.000Z';
    const upsert = async (channelId: string, address: string, lastInboundAt?: string) =>
      (
        await api.gql(ws.apiKey, UPSERT, {
          input: { contactId, channelId, address, ...(lastInboundAt ? { lastInboundAt } : {}) },
        })
      ).data.upsertContactIdentity.data;
    await upsert(whatsapp, '+5215512345678', at);
    // Mexico's old mobile form and today's: one subscriber, one window.
    expect(await upsert(whatsapp, '+525512345678')).toMatchObject({ lastInboundAt: at });
    expect(await upsert(whatsapp, '+525512340000')).toMatchObject({ lastInboundAt: null });
    const later = '2026-01-03T00:00:00.000Z';
    expect(await upsert(whatsapp, '+14155550100', later)).toMatchObject({ lastInboundAt: later });
    await upsert(email, 'Ada@Example.com', at);
    expect(await upsert(email, 'ada@example.com')).toMatchObject({
      address: 'ada@example.com',
      lastInboundAt: at,
    });
    expect(await upsert(email, 'ada@example.org')).toMatchObject({ lastInboundAt: null });
  });
});

describe('contact identities and inbound messages', () => {
  it("waits for an inbound message from the address being recorded, so that the message finds the identity or the identity meets the message's contact", async () => {
    const ws = await api.createWorkspace();
    const contactId = await createContact(ws);
    const sms = await api.createChannel(ws.apiKey, 'SMS');
    const address = '+14155550142';
    // An inbound message from the address (here held before its commit) has taken the address's
    // lock, as recordInboundMessages does before it looks the sender up. Without the same lock
    // here, the identity could commit between the message's look-up (no identity yet) and its
    // insert, which then left the message on a second contact; with it, the identity waits
    // (duringDelete fails if it does not) and is written once the message committed.
    const result = await duringDelete(
      api.db,
      (tx) => lockAddresses(tx as unknown as Database, [addressLockKey(address)]),
      () => api.gql(ws.apiKey, UPSERT, { input: { contactId, channelId: sms, address } }),
    );
    expect(result.data.upsertContactIdentity).toMatchObject({
      __typename: 'MutationUpsertContactIdentitySuccess',
      data: { address, contact: { id: contactId } },
    });
  });
});
