import { describe, expect, it } from 'vitest';
import { useTestApi } from '../test-support';

const api = useTestApi();

const CREATE = /* GraphQL */ `
  mutation ($input: CreateFileInput!) {
    createFile(input: $input) {
      __typename
      ... on MutationCreateFileSuccess { data { id name contentType sizeBytes url } }
      ... on ValidationError { issues { code path } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateFileInput!) {
    updateFile(id: $id, input: $input) {
      __typename
      ... on MutationUpdateFileSuccess { data { name contentType sizeBytes url } }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity id }
    }
  }
`;
const image = {
  name: 'welcome.png',
  contentType: 'image/png',
  sizeBytes: 48213,
  url: 'https://cdn.example.com/welcome.png',
};

describe('files', () => {
  it('registers a file, updates it and deletes it', async () => {
    const ws = await api.createWorkspace();
    const created = await api.gql(ws.apiKey, CREATE, {
      input: { ...image, contentType: 'IMAGE/PNG' },
    });
    const file = created.data.createFile.data;
    expect(file).toMatchObject(image);
    const updated = await api.gql(ws.apiKey, UPDATE, { id: file.id, input: { name: 'hello.png' } });
    expect(updated.data.updateFile.data).toEqual({ ...image, name: 'hello.png' });
    const DELETE =
      'mutation ($id: ID!) { deleteFile(id: $id) { __typename ... on NotFoundError { entity } } }';
    expect((await api.gql(ws.apiKey, DELETE, { id: file.id })).data.deleteFile.__typename).toBe(
      'MutationDeleteFileSuccess',
    );
    expect(
      (await api.gql(ws.apiKey, 'query ($id: ID!) { file(id: $id) { id } }', { id: file.id })).data
        .file,
    ).toBeNull();
  });

  it('requires an https URL, a MIME type, a name and a non-negative size', async () => {
    const ws = await api.createWorkspace();
    const result = await api.gql(ws.apiKey, CREATE, {
      input: { name: ' ', contentType: 'png', sizeBytes: -1, url: 'http://cdn.example.com/a.png' },
    });
    expect(result.data.createFile.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'name' },
      { code: 'INVALID_VALUE', path: 'contentType' },
      { code: 'INVALID_VALUE', path: 'sizeBytes' },
      { code: 'INVALID_URL', path: 'url' },
    ]);
    const update = await api.gql(ws.apiKey, UPDATE, {
      id: '00000000-0000-4000-8000-000000000000',
      input: { url: 'javascript:alert(1)' },
    });
    expect(update.data.updateFile.issues).toEqual([{ code: 'INVALID_URL', path: 'url' }]);
  });

  it('lists files and filters by name and content type prefix', async () => {
    const ws = await api.createWorkspace();
    await api.gql(ws.apiKey, CREATE, { input: image });
    await api.gql(ws.apiKey, CREATE, {
      input: { ...image, name: 'terms.pdf', contentType: 'application/pdf' },
    });
    await api.gql(ws.apiKey, CREATE, {
      input: { ...image, name: 'banner.jpg', contentType: 'image/jpeg' },
    });
    const names = async (filter: Record<string, string> | null) => {
      const result = await api.gql(
        ws.apiKey,
        'query ($f: FileFilter) { files(filter: $f) { totalCount nodes { name } } }',
        { f: filter },
      );
      expect(result.data.files.totalCount).toBe(result.data.files.nodes.length);
      return result.data.files.nodes.map((n: { name: string }) => n.name);
    };
    expect(await names(null)).toEqual(['welcome.png', 'terms.pdf', 'banner.jpg']);
    expect(await names({ contentTypePrefix: 'image/' })).toEqual(['welcome.png', 'banner.jpg']);
    expect(await names({ search: 'TERMS' })).toEqual(['terms.pdf']);
  });
});
