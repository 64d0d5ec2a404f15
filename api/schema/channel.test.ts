import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CredentialCipher } from '../../db/credentials';
import { channels } from '../../db/schema';
import { selectAll, type TestWorkspace, useTestApi } from '../test-support';

const api = useTestApi();
const localApi = useTestApi({ allowPrivateUrls: true });

const CREATE = /* GraphQL */ `
  mutation ($input: CreateChannelInput!) {
    createChannel(input: $input) {
      __typename
      ... on MutationCreateChannelSuccess { data { id type name status credentialsHint hasCredentials
        settings { __typename ... on EmailChannelSettings { host port security fromAddress fromName }
          ... on CustomChannelSettings { url } ... on SmsChannelSettings { fromNumber } } } }
      ... on ValidationError { issues { code path } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateChannelInput!) {
    updateChannel(id: $id, input: $input) {
      __typename
      ... on MutationUpdateChannelSuccess { data { id name status credentialsHint
        settings { ... on EmailChannelSettings { host port } } } }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity id }
    }
  }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteChannel(id: $id) {
      __typename
      ... on MutationDeleteChannelSuccess { data }
      ... on NotFoundError { entity id }
    }
  }
`;

const PASSWORD = 'smtp-password-wxyz';
const emailInput = {
  type: 'EMAIL',
  name: 'Support mailbox',
  settings: {
    email: {
      host: 'smtp.example.com',
      port: 587,
      security: 'STARTTLS',
      fromAddress: 'support@example.com',
      fromName: 'Support',
    },
  },
  credentials: { email: { username: 'support', password: PASSWORD } },
};

async function createChannel(ws: TestWorkspace, input: Record<string, unknown> = emailInput) {
  const result = await api.gql(ws.apiKey, CREATE, { input });
  expect(result.data.createChannel.__typename).toBe('MutationCreateChannelSuccess');
  return result.data.createChannel.data;
}

async function channelCount(workspaceId: string) {
  return api.db.$count(channels, eq(channels.workspaceId, workspaceId));
}

describe('channels', () => {
  it('creates an email channel with typed settings and stores credentials encrypted', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws);
    expect(channel).toMatchObject({
      type: 'EMAIL',
      status: 'CONNECTED',
      credentialsHint: '••••wxyz',
      hasCredentials: true,
      settings: {
        __typename: 'EmailChannelSettings',
        host: 'smtp.example.com',
        port: 587,
        security: 'STARTTLS',
        fromAddress: 'support@example.com',
        fromName: 'Support',
      },
    });
    const [row] = await api.db.select().from(channels).where(eq(channels.id, channel.id));
    expect(row!.credentialsCiphertext).toMatch(/^v1\./);
    expect(JSON.stringify(row!.settings)).not.toContain(PASSWORD);
    const cipher = new CredentialCipher(api.credentialsKey);
    expect(await cipher.decrypt(row!.credentialsCiphertext!)).toEqual({
      username: 'support',
      password: PASSWORD,
    });
  });

  it('never returns credentials or their ciphertext, whichever fields are queried', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws);
    const [row] = await api.db.select().from(channels).where(eq(channels.id, channel.id));
    const byId = await api.gql(
      ws.apiKey,
      `query ($id: ID!) { channel(id: $id) ${selectAll('Channel')} }`,
      {
        id: channel.id,
      },
    );
    const list = await api.gql(ws.apiKey, `{ channels ${selectAll('ChannelConnection')} }`);
    expect(byId.errors).toBeUndefined();
    expect(list.errors).toBeUndefined();
    expect(byId.data.channel.id).toBe(channel.id);
    for (const body of [JSON.stringify(byId), JSON.stringify(list)]) {
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain(row!.credentialsCiphertext!.slice(3, 20));
    }
  });

  it('requires credentials for providers that cannot work without them', async () => {
    const ws = await api.createWorkspace();
    const result = await api.gql(ws.apiKey, CREATE, {
      input: {
        type: 'WHATSAPP',
        name: 'WA',
        settings: { whatsapp: { phoneNumberId: '1234567', businessAccountId: '7654321' } },
      },
    });
    expect(result.data.createChannel.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'credentials.whatsapp' },
    ]);
    expect(await channelCount(ws.workspaceId)).toBe(0);
  });

  it('rejects bad settings with one issue per problem and writes nothing', async () => {
    const ws = await api.createWorkspace();
    const result = await api.gql(ws.apiKey, CREATE, {
      input: {
        ...emailInput,
        name: ' ',
        settings: {
          email: {
            host: 'smtp example',
            port: 0,
            security: 'TLS',
            fromAddress: 'nope',
            fromName: 'A\nBcc: x@y.z',
          },
          sms: { fromNumber: '+15550100' },
        },
      },
    });
    expect(result.data.createChannel.__typename).toBe('ValidationError');
    expect(result.data.createChannel.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'name' },
      { code: 'INVALID_VALUE', path: 'settings.sms' },
      { code: 'INVALID_VALUE', path: 'settings.email.host' },
      { code: 'INVALID_VALUE', path: 'settings.email.port' },
      { code: 'INVALID_EMAIL', path: 'settings.email.fromAddress' },
      { code: 'INVALID_VALUE', path: 'settings.email.fromName' },
    ]);
    expect(await channelCount(ws.workspaceId)).toBe(0);
  });

  it('validates the SMS sender as E.164 and the custom endpoint as an http(s) URL', async () => {
    const ws = await api.createWorkspace();
    const sms = await api.gql(ws.apiKey, CREATE, {
      input: {
        type: 'SMS',
        name: 'SMS',
        settings: { sms: { fromNumber: '0612345678' } },
        credentials: { sms: { accountSid: 'AC123', authToken: 'token' } },
      },
    });
    expect(sms.data.createChannel.issues).toEqual([
      { code: 'INVALID_PHONE', path: 'settings.sms.fromNumber' },
    ]);
    const custom = await api.gql(ws.apiKey, CREATE, {
      input: {
        type: 'CUSTOM',
        name: 'Hook',
        settings: { custom: { url: 'ftp://example.com/hook' } },
        credentials: { custom: { signingSecret: 'whsec_abc' } },
      },
    });
    expect(custom.data.createChannel.issues).toEqual([
      { code: 'INVALID_URL', path: 'settings.custom.url' },
    ]);
    const ok = await createChannel(ws, {
      type: 'CUSTOM',
      name: 'Hook',
      settings: { custom: { url: 'https://hooks.example.com/hook' } },
      credentials: { custom: { signingSecret: 'whsec_abcdefghijklmnop' } },
    });
    expect(ok.settings).toEqual({
      __typename: 'CustomChannelSettings',
      url: 'https://hooks.example.com/hook',
    });
  });

  it('refuses endpoints on loopback and private addresses unless the deployment allows them', async () => {
    const ws = await api.createWorkspace();
    const before = await channelCount(ws.workspaceId);
    const hook = (url: string) => ({
      type: 'CUSTOM',
      name: 'Hook',
      settings: { custom: { url } },
      credentials: { custom: { signingSecret: 'whsec_abcdefghijklmnop' } },
    });
    for (const url of ['http://localhost:8787/hook', 'http://10.1.2.3/hook', 'http://[::1]/hook']) {
      const refused = await api.gql(ws.apiKey, CREATE, { input: hook(url) });
      expect(refused.data.createChannel.issues, url).toEqual([
        { code: 'INVALID_URL', path: 'settings.custom.url' },
      ]);
    }
    const smtp = await api.gql(ws.apiKey, CREATE, {
      input: {
        ...emailInput,
        settings: { email: { ...emailInput.settings.email, host: '127.0.0.1' } },
      },
    });
    expect(smtp.data.createChannel.issues).toEqual([
      { code: 'INVALID_URL', path: 'settings.email.host' },
    ]);
    expect(await channelCount(ws.workspaceId)).toBe(before);

    // Local development (ALLOW_PRIVATE_URLS=true) may point channels at loopback receivers.
    const local = await localApi.gql(ws.apiKey, CREATE, { input: hook('http://localhost:4000/') });
    expect(local.data.createChannel.__typename).toBe('MutationCreateChannelSuccess');
  });

  it('creates a Telegram channel, which has no settings', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws, {
      type: 'TELEGRAM',
      name: 'Bot',
      credentials: { telegram: { botToken: '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11' } },
    });
    expect(channel).toMatchObject({
      type: 'TELEGRAM',
      settings: null,
      credentialsHint: '••••ew11',
    });
  });

  it('updates name, status, settings and credentials; the hint follows the new credentials', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws);
    const result = await api.gql(ws.apiKey, UPDATE, {
      id: channel.id,
      input: {
        name: 'Renamed',
        status: 'DISCONNECTED',
        settings: {
          email: {
            ...emailInput.settings.email,
            host: 'mail.example.org',
            port: 465,
            security: 'TLS',
          },
        },
        credentials: { email: { username: 'support', password: 'rotated-password-9876' } },
      },
    });
    expect(result.data.updateChannel.data).toEqual({
      id: channel.id,
      name: 'Renamed',
      status: 'DISCONNECTED',
      credentialsHint: '••••9876',
      settings: { host: 'mail.example.org', port: 465 },
    });
  });

  it('rejects an invalid update and leaves the channel as it was', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws);
    const result = await api.gql(ws.apiKey, UPDATE, {
      id: channel.id,
      input: {
        name: 'Renamed',
        settings: { email: { ...emailInput.settings.email, fromAddress: 'x' } },
      },
    });
    expect(result.data.updateChannel.issues).toEqual([
      { code: 'INVALID_EMAIL', path: 'settings.email.fromAddress' },
    ]);
    const after = await api.gql(ws.apiKey, 'query ($id: ID!) { channel(id: $id) { name } }', {
      id: channel.id,
    });
    expect(after.data.channel.name).toBe('Support mailbox');
  });

  it('deletes a channel; a second delete and a malformed id are NotFoundError', async () => {
    const ws = await api.createWorkspace();
    const channel = await createChannel(ws);
    const first = await api.gql(ws.apiKey, DELETE, { id: channel.id });
    expect(first.data.deleteChannel).toEqual({
      __typename: 'MutationDeleteChannelSuccess',
      data: channel.id,
    });
    for (const id of [channel.id, 'not-a-uuid']) {
      const again = await api.gql(ws.apiKey, DELETE, { id });
      expect(again.data.deleteChannel).toEqual({
        __typename: 'NotFoundError',
        entity: 'Channel',
        id,
      });
    }
    const gone = await api.gql(ws.apiKey, 'query ($id: ID!) { channel(id: $id) { id } }', {
      id: channel.id,
    });
    expect(gone.data.channel).toBeNull();
  });

  it('pages through channels oldest first and filters by type and status', async () => {
    const ws = await api.createWorkspace();
    const created = [];
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      created.push(await createChannel(ws, { ...emailInput, name }));
    await api.gql(ws.apiKey, UPDATE, { id: created[1].id, input: { status: 'DISCONNECTED' } });
    await createChannel(ws, {
      type: 'TELEGRAM',
      name: 'bot',
      credentials: { telegram: { botToken: '123456:token-token-token-token' } },
    });

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result = await api.gql(
        ws.apiKey,
        'query ($after: String) { channels(first: 2, after: $after) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      expect(result.data.channels.totalCount).toBe(6);
      seen.push(...result.data.channels.nodes.map((n: { name: string }) => n.name));
      if (!result.data.channels.pageInfo.hasNextPage) break;
      after = result.data.channels.pageInfo.endCursor;
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e', 'bot']);

    const filtered = await api.gql(
      ws.apiKey,
      '{ channels(filter: { type: EMAIL, status: CONNECTED }) { totalCount nodes { name } } }',
    );
    expect(filtered.data.channels.nodes.map((n: { name: string }) => n.name)).toEqual([
      'a',
      'c',
      'd',
      'e',
    ]);
    expect(filtered.data.channels.totalCount).toBe(4);
  });
});
