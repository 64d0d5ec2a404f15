import { describe, expect, it } from 'vitest';
import { useTestApi } from './test-support';

const api = useTestApi();

describe('a read-only (partner) key', () => {
  it('can query everything in its workspace', async () => {
    const admin = await api.createWorkspace();
    const channelId = await api.createChannel(admin.apiKey, 'EMAIL', 'Mail');
    const readKey = await api.createKey(admin.workspaceId, ['read']);
    const result = await api.gql(
      readKey,
      '{ workspace { id } channels { nodes { id } } contacts { totalCount } snippets { totalCount } files { totalCount } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.channels.nodes).toEqual([{ id: channelId }]);
  });

  it("sees a channel's callback URL but not its verify token, which authenticates provider callbacks", async () => {
    const admin = await api.createWorkspace();
    const created = await api.gql(
      admin.apiKey,
      `mutation { createChannel(input: { type: TELEGRAM, name: "Bot",
          credentials: { telegram: { botToken: "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11" } } }) {
        ... on MutationCreateChannelSuccess { data { id } } } }`,
    );
    const channelId = created.data?.createChannel?.data?.id as string | undefined;
    expect(channelId).toBeDefined();
    const readKey = await api.createKey(admin.workspaceId, ['read']);
    const query = '{ channels { nodes { callback { url verifyToken } } } }';
    const asAdmin = await api.gql(admin.apiKey, query);
    const asReader = await api.gql(readKey, query);
    const [adminCallback] = asAdmin.data.channels.nodes.map(
      (node: { callback: unknown }) => node.callback,
    );
    expect(adminCallback.verifyToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(asReader.errors).toBeUndefined();
    expect(asReader.data.channels.nodes).toEqual([
      { callback: { url: adminCallback.url, verifyToken: null } },
    ]);
  });

  it('is FORBIDDEN from every kind of mutation, and nothing is written', async () => {
    const admin = await api.createWorkspace();
    const channelId = await api.createChannel(admin.apiKey, 'EMAIL', 'Mail');
    const readKey = await api.createKey(admin.workspaceId, ['read']);
    const mutations = [
      ['mutation { createContact(input: { firstName: "X" }) { __typename } }', {}],
      [
        'mutation ($id: ID!) { updateChannel(id: $id, input: { name: "X" }) { __typename } }',
        { id: channelId },
      ],
      ['mutation ($id: ID!) { deleteChannel(id: $id) { __typename } }', { id: channelId }],
      ['mutation { createSnippet(input: { name: "x", body: "x" }) { __typename } }', {}],
      ['mutation { updateWorkspace(input: { name: "X" }) { __typename } }', {}],
      ['mutation { createApiKey(name: "X", scopes: [ADMIN]) { __typename } }', {}],
    ] as const;
    for (const [query, variables] of mutations) {
      const result = await api.gql(readKey, query, variables);
      expect(result.status, query).toBe(403);
      expect(result.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
      expect(result.data ?? null, query).toBeNull();
    }
    const after = await api.gql(
      admin.apiKey,
      '{ workspace { name } channels { nodes { name } } contacts { totalCount } snippets { totalCount } apiKeys { id } }',
    );
    expect(after.data).toMatchObject({
      channels: { nodes: [{ name: 'Mail' }] },
      contacts: { totalCount: 0 },
      snippets: { totalCount: 0 },
    });
    expect(after.data.apiKeys).toHaveLength(2);
  });
});
