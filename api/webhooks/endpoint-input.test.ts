import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { webhookEndpoints } from '../../db/schema';
import { useTestApi } from '../test-support';

/** The endpoint input checks that the GraphQL types alone do not make. */

const api = useTestApi();

const CREATE = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on MutationCreateWebhookEndpointSuccess { data { endpoint { id url } } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;

describe('webhook endpoint input', () => {
  it('refuses a URL whose stored (percent-encoded) form is over 2,048 characters, writing nothing', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    // 1,000 characters as typed, 6,000 once the URL parser percent-encodes them.
    const url = `https://hooks.partner.example/${'é'.repeat(1000)}`;
    expect(url.length).toBeLessThan(2048);
    const refused = (await api.gql(apiKey, CREATE, { input: { url } })).data.createWebhookEndpoint;
    expect(refused).toEqual({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_URL', path: 'url', message: 'Must be at most 2048 characters' }],
    });
    const rows = await api.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.workspaceId, workspaceId));
    expect(rows).toEqual([]);

    // At the limit once encoded, it is taken and stored as sent.
    const prefix = 'https://hooks.partner.example/';
    const fits = `${prefix}${'é'.repeat(Math.floor((2048 - prefix.length) / 6))}`;
    const created = (await api.gql(apiKey, CREATE, { input: { url: fits } })).data
      .createWebhookEndpoint;
    expect(created.__typename).toBe('MutationCreateWebhookEndpointSuccess');
    expect(created.data.endpoint.url.length).toBeLessThanOrEqual(2048);
  });
});
