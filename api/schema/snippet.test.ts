import { describe, expect, it } from 'vitest';
import { useTestApi } from '../test-support';

const api = useTestApi();

const CREATE = /* GraphQL */ `
  mutation ($input: CreateSnippetInput!) {
    createSnippet(input: $input) {
      __typename
      ... on MutationCreateSnippetSuccess { data { id name body } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateSnippetInput!) {
    updateSnippet(id: $id, input: $input) {
      __typename
      ... on MutationUpdateSnippetSuccess { data { id name body } }
      ... on ValidationError { issues { code path message } }
      ... on NotFoundError { entity id }
    }
  }
`;

describe('snippets', () => {
  it('creates, reads, renames and deletes a snippet', async () => {
    const ws = await api.createWorkspace();
    const created = await api.gql(ws.apiKey, CREATE, {
      input: { name: 'greeting', body: 'Hi $contact.firstname 👋' },
    });
    const snippet = created.data.createSnippet.data;
    expect(snippet).toMatchObject({ name: 'greeting', body: 'Hi $contact.firstname 👋' });

    const renamed = await api.gql(ws.apiKey, UPDATE, {
      id: snippet.id,
      input: { name: 'hello_2' },
    });
    expect(renamed.data.updateSnippet.data).toEqual({ ...snippet, name: 'hello_2' });

    const read = await api.gql(ws.apiKey, 'query ($id: ID!) { snippet(id: $id) { name body } }', {
      id: snippet.id,
    });
    expect(read.data.snippet).toEqual({ name: 'hello_2', body: snippet.body });

    const DELETE =
      'mutation ($id: ID!) { deleteSnippet(id: $id) { __typename ... on NotFoundError { entity } } }';
    expect(
      (await api.gql(ws.apiKey, DELETE, { id: snippet.id })).data.deleteSnippet.__typename,
    ).toBe('MutationDeleteSnippetSuccess');
    expect((await api.gql(ws.apiKey, DELETE, { id: snippet.id })).data.deleteSnippet.entity).toBe(
      'Snippet',
    );
  });

  it('accepts only [a-z0-9_]+ names', async () => {
    const ws = await api.createWorkspace();
    for (const name of ['Greeting', 'with space', 'dash-ed', '', 'x'.repeat(65)]) {
      const result = await api.gql(ws.apiKey, CREATE, { input: { name, body: 'text' } });
      expect(result.data.createSnippet.issues, name).toEqual([
        expect.objectContaining({ code: 'INVALID_VALUE', path: 'name' }),
      ]);
    }
  });

  it('limits the body to 2,000 characters and refuses an empty one', async () => {
    const ws = await api.createWorkspace();
    const long = await api.gql(ws.apiKey, CREATE, {
      input: { name: 'long', body: 'a'.repeat(2001) },
    });
    expect(long.data.createSnippet.issues).toEqual([
      expect.objectContaining({ code: 'TEXT_TOO_LONG', path: 'body' }),
    ]);
    const empty = await api.gql(ws.apiKey, CREATE, { input: { name: 'empty', body: '  ' } });
    expect(empty.data.createSnippet.issues).toEqual([
      expect.objectContaining({ code: 'TEXT_EMPTY', path: 'body' }),
    ]);
    const max = await api.gql(ws.apiKey, CREATE, {
      input: { name: 'max', body: 'a'.repeat(2000) },
    });
    expect(max.data.createSnippet.__typename).toBe('MutationCreateSnippetSuccess');
  });

  it('counts the body as message texts count it: an emoji is one character', async () => {
    const ws = await api.createWorkspace();
    // 2,000 emoji are 4,000 UTF-16 units, and a step text holding them is within the limit.
    const emoji = await api.gql(ws.apiKey, CREATE, {
      input: { name: 'emoji', body: '👍🏽'.repeat(2000) },
    });
    expect(emoji.data.createSnippet.__typename).toBe('MutationCreateSnippetSuccess');
    const over = await api.gql(ws.apiKey, CREATE, {
      input: { name: 'over', body: '👍🏽'.repeat(2001) },
    });
    expect(over.data.createSnippet.issues).toEqual([
      { code: 'TEXT_TOO_LONG', path: 'body', message: 'At most 2000 characters (got 2001)' },
    ]);
    const updated = await api.gql(ws.apiKey, UPDATE, {
      id: emoji.data.createSnippet.data.id,
      input: { body: '🇫🇷'.repeat(2000) },
    });
    expect(updated.data.updateSnippet.__typename).toBe('MutationUpdateSnippetSuccess');
    // One letter under 300,000 combining marks is not one character (workflow/text-length.ts).
    const piled = await api.gql(ws.apiKey, UPDATE, {
      id: emoji.data.createSnippet.data.id,
      input: { body: `a${'\u0301'.repeat(300_000)}` },
    });
    expect(piled.data.updateSnippet.issues).toEqual([
      expect.objectContaining({ code: 'TEXT_TOO_LONG', path: 'body' }),
    ]);
    const read = await api.gql(ws.apiKey, '{ snippets { nodes { name body } } }');
    expect(read.data.snippets.nodes).toEqual([{ name: 'emoji', body: '🇫🇷'.repeat(2000) }]);
  });

  it('refuses a duplicate name in one workspace, on create and on rename, but not across workspaces', async () => {
    const ws = await api.createWorkspace();
    const other = await api.createWorkspace();
    await api.gql(ws.apiKey, CREATE, { input: { name: 'sig', body: 'Cheers' } });
    const duplicate = await api.gql(ws.apiKey, CREATE, { input: { name: 'sig', body: 'Again' } });
    expect(duplicate.data.createSnippet.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'name', message: 'A snippet named "sig" already exists' },
    ]);
    const second = await api.gql(ws.apiKey, CREATE, { input: { name: 'sig2', body: 'Bye' } });
    const rename = await api.gql(ws.apiKey, UPDATE, {
      id: second.data.createSnippet.data.id,
      input: { name: 'sig' },
    });
    expect(rename.data.updateSnippet.issues).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', path: 'name' }),
    ]);
    const elsewhere = await api.gql(other.apiKey, CREATE, {
      input: { name: 'sig', body: 'Cheers' },
    });
    expect(elsewhere.data.createSnippet.__typename).toBe('MutationCreateSnippetSuccess');
  });

  it('lists snippets oldest first with a name search that treats _ literally', async () => {
    const ws = await api.createWorkspace();
    for (const name of ['sign_off', 'signoff', 'welcome']) {
      await api.gql(ws.apiKey, CREATE, { input: { name, body: name } });
    }
    const list = async (search?: string) => {
      const result = await api.gql(
        ws.apiKey,
        'query ($f: SnippetFilter) { snippets(filter: $f) { totalCount nodes { name } } }',
        {
          f: search ? { search } : null,
        },
      );
      return [
        result.data.snippets.totalCount,
        result.data.snippets.nodes.map((n: { name: string }) => n.name),
      ];
    };
    expect(await list()).toEqual([3, ['sign_off', 'signoff', 'welcome']]);
    expect(await list('n_o')).toEqual([1, ['sign_off']]);
    expect(await list('SIGN')).toEqual([2, ['sign_off', 'signoff']]);
  });
});
