/** A GraphQL response body as the benchmarks read it. */
export interface GraphqlBody {
  // biome-ignore lint/suspicious/noExplicitAny: benchmark checks walk arbitrary response shapes
  data?: any;
  errors?: { message: string }[];
}

/** Something that answers Fetch API requests: a Yoga server, or a Worker over HTTP. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** POSTs one operation with `Authorization: Bearer <key>` and throws on GraphQL errors. */
export async function graphql(
  fetcher: FetchLike,
  url: string,
  apiKey: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphqlBody> {
  const response = await fetcher(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphqlBody;
  if (response.status !== 200 || body.errors) {
    throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return body;
}

/**
 * Runs a mutation whose result is a `…Success | …Error` union and returns the success's `data`;
 * a typed error (validation, not found) fails the benchmark with its message.
 */
export async function mutate(
  fetcher: FetchLike,
  url: string,
  apiKey: string,
  document: string,
  variables: Record<string, unknown>,
  // biome-ignore lint/suspicious/noExplicitAny: the success data's shape is the document's
): Promise<any> {
  const body = await graphql(fetcher, url, apiKey, document, variables);
  const result = body.data?.result;
  if (!result?.__typename?.endsWith('Success')) {
    throw new Error(`mutation failed: ${JSON.stringify(result)}`);
  }
  return result.data;
}
