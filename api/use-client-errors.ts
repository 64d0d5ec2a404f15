import { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * Turns a request Yoga cannot read into the client's error: 400 with the parse message. Yoga's
 * GET parser runs `JSON.parse` on the `variables` and `extensions` parameters and lets its
 * SyntaxError escape, which would otherwise be masked as a 500 "Unexpected error.". The
 * GraphQL over HTTP spec (§"Request parameters", "GET") expects these as JSON-encoded values,
 * so a malformed one is a bad request. Yoga's multipart parser throws GraphQLErrors without a
 * status (e.g. `operations` that is not JSON), which Yoga answers 200 for `application/json`:
 * whatever the parser refuses is the client's request, so those become 400 as well.
 */
export function useClientErrors(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async function parseOrReject(request) {
        try {
          return await requestParser(request);
        } catch (error) {
          if (error instanceof SyntaxError || error instanceof TypeError) {
            throw createGraphQLError(`Malformed request parameter: ${error.message}`, {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
          if (error instanceof GraphQLError && !error.extensions.http) {
            throw createGraphQLError(error.message, {
              extensions: { ...error.extensions, code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
          throw error;
        }
      });
    },
  };
}
