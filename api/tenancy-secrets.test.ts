import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { channels } from '../db/schema';
import { selectAll, TEST_CHANNEL_INPUTS, type TestChannelType, useTestApi } from './test-support';

/**
 * Channel credentials are write-only for every channel type: no query, mutation payload or
 * error, for an admin or a read-only key of the owner, nor anything another workspace sees,
 * carries a credential value or its ciphertext. (api/schema/channel.test.ts checks one email
 * channel's queries; this covers every type and the mutation payloads.)
 */

const api = useTestApi();

/** Credential fields that name an account rather than prove it (an SMTP user, a Twilio SID). */
const IDENTIFIERS = new Set(['username', 'accountSid']);

/** Every secret credential value given for a type (what must never come back). */
function secretsOf(type: TestChannelType): string[] {
  const credentials = TEST_CHANNEL_INPUTS[type].credentials as Record<
    string,
    Record<string, string>
  >;
  return Object.values(credentials).flatMap((fields) =>
    Object.entries(fields).flatMap(([field, value]) => (IDENTIFIERS.has(field) ? [] : [value])),
  );
}

const CHANNEL = selectAll('Channel');
const ISSUES = '... on ValidationError { message issues { code path message } }';
const NOT_FOUND = '... on NotFoundError { message entity id }';

describe('channel credentials are never returned', () => {
  it('by any field, payload or error, for every channel type', async () => {
    const owner = await api.createWorkspace('Owner');
    const readKey = await api.createKey(owner.workspaceId, ['read']);
    const intruder = await api.createWorkspace('Intruder');
    const types = Object.keys(TEST_CHANNEL_INPUTS) as TestChannelType[];
    for (const type of types) {
      const secrets = secretsOf(type);
      expect(secrets.length, type).toBeGreaterThan(0);
      const input = { type, name: `${type} secret`, ...TEST_CHANNEL_INPUTS[type] };
      const created = await api.gql(
        owner.apiKey,
        `mutation ($input: CreateChannelInput!) { createChannel(input: $input) {
          __typename ... on MutationCreateChannelSuccess { data ${CHANNEL} } ${ISSUES} } }`,
        { input },
      );
      expect(created.data.createChannel.__typename, type).toBe('MutationCreateChannelSuccess');
      const id = created.data.createChannel.data.id;
      const [row] = await api.db.select().from(channels).where(eq(channels.id, id));
      const ciphertext = row!.credentialsCiphertext!;
      expect(ciphertext, type).toBeTruthy();

      const answers = [created];
      for (const key of [owner.apiKey, readKey]) {
        answers.push(
          await api.gql(
            key,
            `query ($id: ID!) { channel(id: $id) ${CHANNEL} channels ${selectAll('ChannelConnection')} }`,
            { id },
          ),
        );
      }
      answers.push(
        await api.gql(
          owner.apiKey,
          `mutation ($id: ID!) { verifyChannel(id: $id) {
            __typename ... on MutationVerifyChannelSuccess { data ${CHANNEL} } ${NOT_FOUND} } }`,
          { id },
        ),
        // Same credentials again, then settings that fail their checks: neither echoes them.
        await api.gql(
          owner.apiKey,
          `mutation ($id: ID!, $input: UpdateChannelInput!) { updateChannel(id: $id, input: $input) {
            __typename ... on MutationUpdateChannelSuccess { data ${CHANNEL} } ${ISSUES} ${NOT_FOUND} } }`,
          { id, input: { credentials: TEST_CHANNEL_INPUTS[type].credentials } },
        ),
        await api.gql(
          owner.apiKey,
          `mutation ($id: ID!, $input: UpdateChannelInput!) { updateChannel(id: $id, input: $input) {
            __typename ${ISSUES} ${NOT_FOUND} } }`,
          { id, input: { name: '', credentials: TEST_CHANNEL_INPUTS[type].credentials } },
        ),
        // Another workspace trying every channel field by id.
        await api.gql(
          intruder.apiKey,
          `query ($id: ID!) { channel(id: $id) ${CHANNEL} channels ${selectAll('ChannelConnection')} }`,
          { id },
        ),
        await api.gql(
          intruder.apiKey,
          `mutation ($id: ID!) { verifyChannel(id: $id) {
            __typename ... on MutationVerifyChannelSuccess { data ${CHANNEL} } ${NOT_FOUND} } }`,
          { id },
        ),
      );
      for (const answer of answers) {
        expect(answer.errors, type).toBeUndefined();
        const text = JSON.stringify(answer);
        for (const secret of secrets) expect(text, type).not.toContain(secret);
        expect(text, type).not.toContain(ciphertext.slice(3, 24));
      }
      const seenByIntruder = answers.at(-2)!;
      expect(seenByIntruder.data.channel, type).toBeNull();
      expect(JSON.stringify(seenByIntruder.data.channels), type).not.toContain(id);
      expect(answers.at(-1)!.data.verifyChannel.__typename, type).toBe('NotFoundError');
    }
  });
});
