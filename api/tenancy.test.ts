import { describe, expect, it } from 'vitest';
import {
  expectConfinedToWorkspace,
  type TestApi,
  type TestWorkspace,
  useTestApi,
} from './test-support';

const api = useTestApi();

const NOT_FOUND = '__typename ... on NotFoundError { id }';
const REFUSALS = `${NOT_FOUND} ... on ValidationError { issues { code } }`;

async function createContact(api: TestApi, owner: TestWorkspace): Promise<string> {
  const result = await api.gql(
    owner.apiKey,
    'mutation { createContact(input: { firstName: "Owned", email: "owned@example.com" }) { ... on MutationCreateContactSuccess { data { id } } } }',
  );
  return result.data.createContact.data.id;
}

describe('workspace isolation: another workspace can neither read nor change', () => {
  it('channels', async () => {
    await expectConfinedToWorkspace(api, {
      create: async (api, owner) => ({
        id: await api.createChannel(owner.apiKey, 'EMAIL', 'Owned'),
      }),
      read: 'query ($id: ID!) { channel(id: $id) { id name status settings { __typename } credentialsHint } }',
      lists: [
        '{ channels { nodes { id } } }',
        '{ channels(filter: { type: EMAIL }) { nodes { id } } }',
      ],
      attempts: [
        {
          query: `mutation ($id: ID!) { updateChannel(id: $id, input: { name: "Hijacked", status: DISCONNECTED }) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
        {
          query: `mutation ($id: ID!) { updateChannel(id: $id, input: { credentials: { email: { username: "x", password: "y" } } }) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
        {
          query: `mutation ($id: ID!) { deleteChannel(id: $id) { ${NOT_FOUND} } }`,
          variables: (row) => row,
        },
      ],
    });
  });

  it('contacts', async () => {
    await expectConfinedToWorkspace(api, {
      create: async (api, owner) => ({ id: await createContact(api, owner) }),
      read: 'query ($id: ID!) { contact(id: $id) { id firstName email lastInteractedChannel { id } } }',
      lists: [
        '{ contacts { nodes { id } } }',
        '{ contacts(filter: { search: "Owned" }) { nodes { id } } }',
        '{ contacts(filter: { email: "owned@example.com" }) { nodes { id } totalCount } }',
      ],
      attempts: [
        {
          query: `mutation ($id: ID!) { updateContact(id: $id, input: { firstName: "Hijacked" }) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
        {
          query: `mutation ($id: ID!) { deleteContact(id: $id) { ${NOT_FOUND} } }`,
          variables: (row) => row,
        },
        {
          query: `mutation ($id: ID!) { setLastInteractedChannel(contactId: $id) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
      ],
    });
  });

  it("contact identities, and another workspace's channel as a target", async () => {
    await expectConfinedToWorkspace(api, {
      create: async (api, owner) => {
        const contactId = await createContact(api, owner);
        const channelId = await api.createChannel(owner.apiKey, 'SMS');
        const result = await api.gql(
          owner.apiKey,
          'mutation ($c: ID!, $ch: ID!) { upsertContactIdentity(input: { contactId: $c, channelId: $ch, address: "+15555550100" }) { ... on MutationUpsertContactIdentitySuccess { data { id } } } }',
          { c: contactId, ch: channelId },
        );
        return { id: result.data.upsertContactIdentity.data.id, contactId, channelId };
      },
      read: 'query ($contactId: ID!) { contact(id: $contactId) { identities { id address channel { id } } } }',
      lists: [],
      attempts: [
        {
          query: `mutation ($id: ID!) { deleteContactIdentity(id: $id) { ${NOT_FOUND} } }`,
          variables: (row) => row,
        },
        {
          // The owner's contact and channel, addressed from the intruder's workspace.
          query: `mutation ($contactId: ID!, $channelId: ID!) { upsertContactIdentity(input: { contactId: $contactId, channelId: $channelId, address: "+15555550199" }) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
      ],
    });
  });

  it("refuses to attach another workspace's channel to one's own contact", async () => {
    const owner = await api.createWorkspace('Owner');
    const intruder = await api.createWorkspace('Intruder');
    const ownerChannel = await api.createChannel(owner.apiKey, 'SMS');
    const intruderContact = await createContact(api, intruder);
    const upsert = await api.gql(
      intruder.apiKey,
      `mutation ($c: ID!, $ch: ID!) { upsertContactIdentity(input: { contactId: $c, channelId: $ch, address: "+15555550100" }) { ${REFUSALS} } }`,
      { c: intruderContact, ch: ownerChannel },
    );
    const setLast = await api.gql(
      intruder.apiKey,
      `mutation ($c: ID!, $ch: ID!) { setLastInteractedChannel(contactId: $c, channelId: $ch) { ${REFUSALS} } }`,
      { c: intruderContact, ch: ownerChannel },
    );
    const filtered = await api.gql(
      intruder.apiKey,
      'query ($ch: ID!) { contacts(filter: { hasChannel: $ch }) { totalCount } }',
      { ch: ownerChannel },
    );
    for (const result of [
      upsert.data.upsertContactIdentity,
      setLast.data.setLastInteractedChannel,
    ]) {
      expect(result).toEqual({
        __typename: 'ValidationError',
        issues: [{ code: 'CHANNEL_NOT_FOUND' }],
      });
    }
    expect(filtered.data.contacts.totalCount).toBe(0);
  });

  it('snippets', async () => {
    await expectConfinedToWorkspace(api, {
      create: async (api, owner) => {
        const result = await api.gql(
          owner.apiKey,
          'mutation { createSnippet(input: { name: "owned", body: "Owned text" }) { ... on MutationCreateSnippetSuccess { data { id } } } }',
        );
        return { id: result.data.createSnippet.data.id };
      },
      read: 'query ($id: ID!) { snippet(id: $id) { id name body } }',
      lists: [
        '{ snippets { nodes { id } } }',
        '{ snippets(filter: { search: "owned" }) { nodes { id } } }',
      ],
      attempts: [
        {
          query: `mutation ($id: ID!) { updateSnippet(id: $id, input: { body: "Hijacked" }) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
        {
          query: `mutation ($id: ID!) { deleteSnippet(id: $id) { ${NOT_FOUND} } }`,
          variables: (row) => row,
        },
      ],
    });
  });

  it('files', async () => {
    await expectConfinedToWorkspace(api, {
      create: async (api, owner) => {
        const result = await api.gql(
          owner.apiKey,
          'mutation { createFile(input: { name: "owned.png", contentType: "image/png", sizeBytes: 10, url: "https://cdn.example.com/owned.png" }) { ... on MutationCreateFileSuccess { data { id } } } }',
        );
        return { id: result.data.createFile.data.id };
      },
      read: 'query ($id: ID!) { file(id: $id) { id name url } }',
      lists: [
        '{ files { nodes { id } } }',
        '{ files(filter: { contentTypePrefix: "image/" }) { nodes { id } } }',
      ],
      attempts: [
        {
          query: `mutation ($id: ID!) { updateFile(id: $id, input: { name: "hijacked.png" }) { ${REFUSALS} } }`,
          variables: (row) => row,
        },
        {
          query: `mutation ($id: ID!) { deleteFile(id: $id) { ${NOT_FOUND} } }`,
          variables: (row) => row,
        },
      ],
    });
  });

  it('API keys', async () => {
    const owner = await api.createWorkspace('Owner');
    const intruder = await api.createWorkspace('Intruder');
    const created = await api.gql(
      owner.apiKey,
      'mutation { createApiKey(name: "Owned", scopes: [READ]) { ... on MutationCreateApiKeySuccess { data { key apiKey { id } } } } }',
    );
    const { key, apiKey } = created.data.createApiKey.data;
    const listed = await api.gql(intruder.apiKey, '{ apiKeys { id } }');
    expect(JSON.stringify(listed.data)).not.toContain(apiKey.id);
    const revoke = await api.gql(
      intruder.apiKey,
      `mutation ($id: ID!) { revokeApiKey(id: $id) { ${NOT_FOUND} } }`,
      {
        id: apiKey.id,
      },
    );
    expect(revoke.data.revokeApiKey).toEqual({ __typename: 'NotFoundError', id: apiKey.id });
    const stillWorks = await api.gql(key, '{ workspace { name } }');
    expect(stillWorks.data.workspace.name).toBe('Owner');
  });

  it('the workspace itself: each key sees and changes only its own', async () => {
    const owner = await api.createWorkspace('Owner');
    const intruder = await api.createWorkspace('Intruder');
    await api.gql(
      intruder.apiKey,
      'mutation { updateWorkspace(input: { name: "Renamed", timezone: "Asia/Tokyo" }) { __typename } }',
    );
    const seen = await api.gql(owner.apiKey, '{ workspace { id name timezone } }');
    expect(seen.data.workspace).toEqual({ id: owner.workspaceId, name: 'Owner', timezone: 'UTC' });
  });
});
