import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Database } from '../db/client';
import { authenticate, bearerToken, type Principal } from './auth';

/**
 * Requires `Authorization: Bearer <key>` on every GraphQL request. It runs before the request
 * is parsed, so that an unauthenticated caller learns nothing (not even validation errors) and
 * gets a 401 with a GraphQL error coded `UNAUTHENTICATED`. The principal is kept per Request
 * for the context factory to read.
 */
export function useApiKeyAuth(
  databaseOf: (serverContext: { db?: Database }) => Database,
  principals: WeakMap<Request, Principal>,
): Plugin<Record<string, unknown>, { db?: Database }> {
  return {
    async onRequestParse({ request, serverContext }) {
      const principal = await authenticate(
        databaseOf(serverContext),
        bearerToken(request.headers.get('authorization')),
      );
      if (!principal) {
        throw createGraphQLError('A valid API key is required (Authorization: Bearer <key>)', {
          extensions: {
            code: 'UNAUTHENTICATED',
            http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
          },
        });
      }
      principals.set(request, principal);
    },
  };
}
