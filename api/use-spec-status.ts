import { type ExecutionResult, GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * The `http` extension of a GraphQL error a request was refused with: 400 when the client asked
 * for `application/graphql-response+json`, 200 for `application/json`. `spec: true` is how Yoga
 * marks an error whose status the GraphQL over HTTP spec sets per media type
 * (https://graphql.github.io/graphql-over-http/draft/, §"Status Codes": "application/json" says
 * the server SHOULD use 200 for every response to a well-formed request, "Document validation
 * failure" and "Variable coercion failure" among them; "application/graphql-response+json"
 * says 400 for those).
 */
export function requestErrorHttp(): { spec: true; status: 400 } {
  return { spec: true, status: 400 };
}

interface HttpExtension {
  status?: number;
  spec?: boolean;
  headers?: Record<string, string>;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Sets each error's `http` extension so that the response's status follows the spec. */
function settleStatus(result: ExecutionResult): void {
  const errors = result.errors?.filter((error) => error instanceof GraphQLError) ?? [];
  if (errors.length === 0) return;
  if (result.data != null) {
    // §"application/json": "If the GraphQL response contains a non-null {data} entry then the
    // server MUST use the 200 status code"; §"application/graphql-response+json": MUST reply
    // with a 2xx. A field error that carries a status (a database busy in one resolver) keeps
    // its headers and code, but the partial response is a 200.
    for (const error of errors) {
      const http = error.extensions.http as HttpExtension | undefined;
      if (http?.status) error.extensions.http = { ...http, status: undefined };
    }
    return;
  }
  if (result.data === null) return;
  // No `data` entry: a request error. §"application/graphql-response+json": "If the GraphQL
  // response does not contain the {data} entry then the server MUST reply with a 4xx or 5xx
  // status code". Yoga answers 200 for the request errors that reach it without a status:
  // variable coercion (CoerceVariableValues()), GraphQL Armor's depth and directive limits
  // (thrown from their validation rules) and a subscription's source stream refused over POST.
  for (const error of errors) {
    const extensions = error.extensions;
    const http = extensions.http as HttpExtension | undefined;
    if (extensions.code === 'OPERATION_RESOLUTION_FAILURE') {
      // GetOperation() failed (several operations and no or an unknown operationName). Yoga
      // answers 400 whatever the media type; §"application/json", "Operation cannot be
      // determined": SHOULD return 200 there (400 stays for graphql-response+json).
      extensions.http = { ...http, spec: true };
    } else if (!http?.status && !extensions.unexpected) {
      // An unexpected (masked) error stays a 500.
      extensions.http = { ...http, ...requestErrorHttp() };
    }
  }
}

/** A request that is not a well-formed GraphQL-over-HTTP request: 400 under both media types. */
function notWellFormed(message: string): GraphQLError {
  return createGraphQLError(message, {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
}

/**
 * Makes Yoga's request handling follow the GraphQL over HTTP spec where Yoga 5 departs from it
 * (https://graphql.github.io/graphql-over-http/draft/):
 *
 * - §"GET": "Setting the value of the {operationName} parameter to the empty string is
 *   equivalent to omitting the {operationName} parameter" (Yoga looks for an operation named
 *   ""; no operation can have that name, so the same holds for POST bodies).
 * - A request without {query} is not a well-formed GraphQL-over-HTTP request (§"Request
 *   Parameters": {query} is required); §"application/json", "Invalid parameters": it SHOULD
 *   result in 400, which Yoga answers with 200 under `application/json`. The same holds for an
 *   {operationName} that is not a string.
 * - Response status codes by whether the response has `data` (see settleStatus).
 */
export function useSpecStatus(): Plugin {
  return {
    onParams({ params, setParams }) {
      const operationName: unknown = params.operationName;
      if (operationName === '') setParams({ ...params, operationName: undefined });
      if (params.query == null) throw notWellFormed('Must provide query string.');
      // {operationName} is an optional string: any other type is not a well-formed request
      // either (Yoga would take it for an operation it cannot find).
      if (operationName != null && typeof operationName !== 'string') {
        throw notWellFormed('Expected "operationName" param to be a string.');
      }
    },
    onResultProcess({ result }) {
      if (isAsyncIterable(result)) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        settleStatus(single as ExecutionResult);
      }
    },
  };
}
