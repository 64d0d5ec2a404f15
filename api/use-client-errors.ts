import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * Turns a request Yoga cannot read into the client's error: 400 with the parse message. Yoga's
 * GET parser runs `JSON.parse` on the `variables` and `extensions` parameters and lets its
 * SyntaxError escape, which would otherwise be masked as a 500 "Unexpected error.". The
 * GraphQL over HTTP spec (§"Request parameters", "GET") expects these as JSON-encoded values,
 * so a malformed one is a bad request. Errors that are already GraphQLErrors pass through.
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
          throw error;
        }
      });
    },
  };
}
