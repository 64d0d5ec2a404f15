import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { channels } from '../../db/schema';
import { MAX_CHANNEL_MESSAGES_PER_SECOND } from '../../workflow/send-rate';
import {
  expectConfinedToWorkspace,
  TEST_CHANNEL_INPUTS,
  type TestWorkspace,
  useTestApi,
} from '../test-support';
import { textConfig, workflowClient } from '../workflows/test-fixtures';

const api = useTestApi();

const RATE = 'maxMessagesPerSecond sendRateLimit';
const CREATE = /* GraphQL */ `
  mutation ($input: CreateChannelInput!) {
    createChannel(input: $input) {
      __typename
      ... on MutationCreateChannelSuccess { data { id name ${RATE} } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateChannelInput!) {
    updateChannel(id: $id, input: $input) {
      __typename
      ... on MutationUpdateChannelSuccess { data { id name ${RATE} } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;
const READ = `query ($id: ID!) { channel(id: $id) { name ${RATE} } }`;

const whatsapp = { type: 'WHATSAPP', name: 'WhatsApp number', ...TEST_CHANNEL_INPUTS.WHATSAPP };
const email = { type: 'EMAIL', name: 'Support mailbox', ...TEST_CHANNEL_INPUTS.EMAIL };

async function create(ws: TestWorkspace, input: Record<string, unknown>) {
  const result = await api.gql(ws.apiKey, CREATE, { input });
  expect(result.errors).toBeUndefined();
  expect(result.data.createChannel.__typename, JSON.stringify(result)).toBe(
    'MutationCreateChannelSuccess',
  );
  return result.data.createChannel.data;
}

async function update(ws: TestWorkspace, id: string, input: Record<string, unknown>) {
  const result = await api.gql(ws.apiKey, UPDATE, { id, input });
  expect(result.errors).toBeUndefined();
  return result.data.updateChannel;
}

async function storedRate(id: string) {
  const [row] = await api.db
    .select({ rate: channels.maxMessagesPerSecond })
    .from(channels)
    .where(eq(channels.id, id));
  return row!.rate;
}

describe('channel send rates', () => {
  it('creates a channel with its own rate, changes it, keeps it when omitted and clears it back to the default with null', async () => {
    const ws = await api.createWorkspace();
    const channel = await create(ws, { ...whatsapp, maxMessagesPerSecond: 1000 });
    expect(channel).toMatchObject({ maxMessagesPerSecond: 1000, sendRateLimit: 1000 });
    expect(await storedRate(channel.id)).toBe(1000);

    const changed = await update(ws, channel.id, { maxMessagesPerSecond: 250 });
    expect(changed.data).toMatchObject({ maxMessagesPerSecond: 250, sendRateLimit: 250 });
    expect(await storedRate(channel.id)).toBe(250);

    const renamed = await update(ws, channel.id, { name: 'Renamed' });
    expect(renamed.data).toEqual({
      id: channel.id,
      name: 'Renamed',
      maxMessagesPerSecond: 250,
      sendRateLimit: 250,
    });

    const cleared = await update(ws, channel.id, { maxMessagesPerSecond: null });
    expect(cleared.data).toMatchObject({ maxMessagesPerSecond: null, sendRateLimit: 80 });
    expect(await storedRate(channel.id)).toBeNull();
    const read = await api.gql(ws.apiKey, READ, { id: channel.id });
    expect(read.data.channel).toEqual({
      name: 'Renamed',
      maxMessagesPerSecond: null,
      sendRateLimit: 80,
    });
  });

  it("reads sendRateLimit as the integration's documented default, the channel's own rate, or null where the integration has none", async () => {
    const ws = await api.createWorkspace();
    const byDefault = await create(ws, whatsapp);
    const own = await create(ws, {
      ...whatsapp,
      name: 'Upgraded number',
      maxMessagesPerSecond: 500,
    });
    const unpaced = await create(ws, email);
    const paced = await create(ws, { ...email, name: 'Slow relay', maxMessagesPerSecond: 5 });
    const telegram = await create(ws, {
      type: 'TELEGRAM',
      name: 'Bot',
      ...TEST_CHANNEL_INPUTS.TELEGRAM,
    });

    expect(byDefault).toMatchObject({ maxMessagesPerSecond: null, sendRateLimit: 80 });
    expect(own).toMatchObject({ maxMessagesPerSecond: 500, sendRateLimit: 500 });
    expect(unpaced).toMatchObject({ maxMessagesPerSecond: null, sendRateLimit: null });
    expect(paced).toMatchObject({ maxMessagesPerSecond: 5, sendRateLimit: 5 });
    expect(telegram).toMatchObject({ maxMessagesPerSecond: null, sendRateLimit: 30 });

    // The list reads the same as the mutations' answers.
    const list = await api.gql(ws.apiKey, `{ channels { nodes { id ${RATE} } } }`);
    expect(list.errors).toBeUndefined();
    expect(list.data.channels.nodes).toEqual(
      [byDefault, own, unpaced, paced, telegram].map(
        ({ id, maxMessagesPerSecond, sendRateLimit }) => ({
          id,
          maxMessagesPerSecond,
          sendRateLimit,
        }),
      ),
    );
  });

  it("reads the channel's rate where a step names the channel too", async () => {
    const ws = await api.createWorkspace();
    const channel = await create(ws, { ...whatsapp, maxMessagesPerSecond: 500 });
    const client = workflowClient(api, ws.apiKey);
    const workflow = await client.createWorkflow();
    await client.ok('addSendMessageStep', {
      input: { workflowId: workflow.id, config: textConfig(channel.id) },
    });
    const result = await api.gql(
      ws.apiKey,
      `query ($id: ID!) { workflow(id: $id) { steps { ... on SendMessageStep { config { channel { channel { id ${RATE} } } } } } } }`,
      { id: workflow.id },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.workflow.steps[0].config.channel.channel).toEqual({
      id: channel.id,
      maxMessagesPerSecond: 500,
      sendRateLimit: 500,
    });
  });

  it('accepts the bounds 1 and MAX_CHANNEL_MESSAGES_PER_SECOND', async () => {
    const ws = await api.createWorkspace();
    const slowest = await create(ws, { ...whatsapp, maxMessagesPerSecond: 1 });
    expect(slowest).toMatchObject({ maxMessagesPerSecond: 1, sendRateLimit: 1 });
    const fastest = await update(ws, slowest.id, {
      maxMessagesPerSecond: MAX_CHANNEL_MESSAGES_PER_SECOND,
    });
    expect(fastest.data).toMatchObject({
      maxMessagesPerSecond: MAX_CHANNEL_MESSAGES_PER_SECOND,
      sendRateLimit: MAX_CHANNEL_MESSAGES_PER_SECOND,
    });
  });

  it('refuses a rate out of range on create with INVALID_VALUE at maxMessagesPerSecond and saves nothing', async () => {
    const ws = await api.createWorkspace();
    for (const rate of [0, -1, MAX_CHANNEL_MESSAGES_PER_SECOND + 1, 2_147_483_647]) {
      const result = await api.gql(ws.apiKey, CREATE, {
        input: { ...whatsapp, maxMessagesPerSecond: rate },
      });
      expect(result.errors).toBeUndefined();
      expect(result.data.createChannel.__typename, String(rate)).toBe('ValidationError');
      expect(result.data.createChannel.issues).toEqual([
        {
          code: 'INVALID_VALUE',
          path: 'maxMessagesPerSecond',
          message: 'Must be a whole number of messages per second from 1 to 10,000',
        },
      ]);
    }
    // A fraction is not an Int: GraphQL refuses the variable before the resolver runs.
    const fraction = await api.gql(ws.apiKey, CREATE, {
      input: { ...whatsapp, maxMessagesPerSecond: 1.5 },
    });
    expect(fraction.errors?.[0]?.message).toMatch(/Int/);
    expect(await api.db.$count(channels, eq(channels.workspaceId, ws.workspaceId))).toBe(0);
  });

  it('refuses a rate out of range on update and leaves the channel as it was', async () => {
    const ws = await api.createWorkspace();
    const channel = await create(ws, { ...whatsapp, maxMessagesPerSecond: 500 });
    const [before] = await api.db.select().from(channels).where(eq(channels.id, channel.id));
    for (const rate of [0, MAX_CHANNEL_MESSAGES_PER_SECOND + 1]) {
      const result = await update(ws, channel.id, { name: 'Renamed', maxMessagesPerSecond: rate });
      expect(result.__typename, String(rate)).toBe('ValidationError');
      expect(result.issues).toEqual([
        {
          code: 'INVALID_VALUE',
          path: 'maxMessagesPerSecond',
          message: 'Must be a whole number of messages per second from 1 to 10,000',
        },
      ]);
    }
    const fraction = await api.gql(ws.apiKey, UPDATE, {
      id: channel.id,
      input: { maxMessagesPerSecond: 2.5 },
    });
    expect(fraction.errors?.[0]?.message).toMatch(/Int/);
    const [after] = await api.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(after).toEqual(before);
    expect((await api.gql(ws.apiKey, READ, { id: channel.id })).data.channel).toEqual({
      name: 'WhatsApp number',
      maxMessagesPerSecond: 500,
      sendRateLimit: 500,
    });
  });

  it("another workspace can neither read a channel's rate nor set or clear it", async () => {
    const REFUSALS =
      '__typename ... on NotFoundError { id } ... on ValidationError { issues { code } }';
    await expectConfinedToWorkspace(api, {
      create: async (api, owner) => {
        const result = await api.gql(owner.apiKey, CREATE, {
          input: { ...whatsapp, maxMessagesPerSecond: 500 },
        });
        return { id: result.data.createChannel.data.id };
      },
      read: `query ($id: ID!) { channel(id: $id) { id ${RATE} } }`,
      lists: [`{ channels { nodes { id ${RATE} } } }`],
      attempts: [
        {
          query: `mutation ($id: ID!) { updateChannel(id: $id, input: { maxMessagesPerSecond: 1 }) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
        {
          query: `mutation ($id: ID!) { updateChannel(id: $id, input: { maxMessagesPerSecond: null }) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
      ],
    });
  });
});
