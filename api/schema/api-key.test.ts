import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys } from '../../db/schema';
import { useTestApi } from '../test-support';

const api = useTestApi();

const CREATE = /* GraphQL */ `
  mutation ($name: String!, $scopes: [ApiKeyScope!]!) {
    createApiKey(name: $name, scopes: $scopes) {
      __typename
      ... on MutationCreateApiKeySuccess { data { key apiKey { id name prefix scopes } } }
      ... on ValidationError { issues { code path } }
    }
  }
`;
const REVOKE = /* GraphQL */ `
  mutation ($id: ID!) {
    revokeApiKey(id: $id) {
      __typename
      ... on MutationRevokeApiKeySuccess { data { id revokedAt } }
      ... on NotFoundError { entity id }
    }
  }
`;

describe('API keys over GraphQL', () => {
  it('creates a key whose plaintext works once shown, and lists it without secrets', async () => {
    const { apiKey } = await api.createWorkspace();
    const created = await api.gql(apiKey, CREATE, { name: 'Partner', scopes: ['READ'] });
    const { key, apiKey: meta } = created.data.createApiKey.data;
    expect(key).toMatch(/^sf_[0-9a-f]{12}_/);
    expect(meta).toMatchObject({ name: 'Partner', scopes: ['READ'], prefix: key.slice(3, 15) });

    const listed = await api.gql(apiKey, '{ apiKeys { id name prefix scopes lastUsedAt } }');
    expect(listed.data.apiKeys.map((k: { name: string }) => k.name).sort()).toEqual([
      'Admin key',
      'Partner',
    ]);
    const [row] = await api.db.select().from(apiKeys).where(eq(apiKeys.id, meta.id));
    const body = JSON.stringify(listed);
    expect(body).not.toContain(row!.secretHash);
    expect(body).not.toContain(key.slice(16));

    const asPartner = await api.gql(key, '{ workspace { name } }');
    expect(asPartner.status).toBe(200);
    expect(asPartner.data.workspace.name).toBeTruthy();
  });

  it('rejects a blank name and an empty scope list', async () => {
    const { apiKey } = await api.createWorkspace();
    const result = await api.gql(apiKey, CREATE, { name: ' ', scopes: [] });
    expect(result.data.createApiKey.__typename).toBe('ValidationError');
    expect(result.data.createApiKey.issues.map((i: { path: string }) => i.path)).toEqual([
      'name',
      'scopes',
    ]);
  });

  it('revokes a key so that it stops authenticating at once', async () => {
    const { apiKey } = await api.createWorkspace();
    const created = await api.gql(apiKey, CREATE, { name: 'Temp', scopes: ['ADMIN'] });
    const { key, apiKey: meta } = created.data.createApiKey.data;
    expect((await api.gql(key, '{ workspace { id } }')).status).toBe(200);

    const revoked = await api.gql(apiKey, REVOKE, { id: meta.id });
    expect(revoked.data.revokeApiKey.data.revokedAt).toBeTruthy();

    const after = await api.gql(key, '{ workspace { id } }');
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('returns NotFoundError for an unknown or malformed id', async () => {
    const { apiKey } = await api.createWorkspace();
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      const result = await api.gql(apiKey, REVOKE, { id });
      expect(result.data.revokeApiKey).toEqual({
        __typename: 'NotFoundError',
        entity: 'ApiKey',
        id,
      });
    }
  });

  it('does not let a read-only key list or create keys', async () => {
    const { workspaceId } = await api.createWorkspace();
    const readKey = await api.createKey(workspaceId, ['read']);
    const listed = await api.gql(readKey, '{ apiKeys { id } }');
    expect(listed.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const created = await api.gql(readKey, CREATE, { name: 'x', scopes: ['ADMIN'] });
    expect(created.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(created.data?.createApiKey ?? null).toBeNull();
  });
});
