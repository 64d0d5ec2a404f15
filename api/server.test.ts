import { describe, expect, it } from 'vitest';
import { useTestApi } from './test-support';

const api = useTestApi();

describe('API key authentication', () => {
  it('rejects a request without an Authorization header with 401 UNAUTHENTICATED', async () => {
    const result = await api.gql(null, '{ __typename }');
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data).toBeUndefined();
  });

  it('rejects a malformed key and a well-formed key that does not exist', async () => {
    const { apiKey } = await api.createWorkspace();
    const forged = `${apiKey.slice(0, -4)}AAAA`;
    for (const key of ['not-a-key', forged]) {
      const result = await api.gql(key, '{ __typename }');
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('rejects an unauthenticated request before validating it', async () => {
    const result = await api.gql(null, '{ noSuchField }');
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('accepts a valid key', async () => {
    const { apiKey } = await api.createWorkspace();
    const result = await api.gql(apiKey, '{ __typename }');
    expect(result.status).toBe(200);
    expect(result.data).toEqual({ __typename: 'Query' });
  });

  it('sends the WWW-Authenticate challenge on 401', async () => {
    const response = await api.yoga.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });
});
