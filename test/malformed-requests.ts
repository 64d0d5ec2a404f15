/** One fuzzed request: fetch options plus the query string, and what it was, for reports. */
export interface MalformedRequest extends RequestInit {
  search: string;
  description: string;
}

/** Valid documents the fuzzer breaks: cut short, spliced, or given wrong variables. */
const DOCUMENTS = [
  '{ workspace { id name timezone } }',
  'query Workflows($first: Int) { workflows(first: $first) { nodes { id name status } } }',
  'mutation Create($input: ContactInput!) { createContact(input: $input) { __typename } }',
  'query Run($id: ID!) { run(id: $id) { id status deliveries { status } } }',
  '{ contacts(first: 5) { nodes { id firstName email } pageInfo { hasNextPage } } }',
];

/** Fragments spliced into documents: tokens outside the grammar, unbalanced braces, junk. */
const JUNK = [
  '~',
  '{',
  '}',
  '(',
  ')',
  '$',
  '@',
  '"',
  '"""',
  '...',
  '!',
  '#',
  '\\u',
  '\u0000',
  '\u{1F600}',
  'query',
  ':',
  '[',
  ']',
  '=',
  '|',
  '&',
];

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `count` malformed GraphQL-over-HTTP requests: broken documents (cut, spliced with junk),
 * bodies that are not JSON or not objects, parameters of the wrong type, bad GET parameters,
 * wrong content types, batches holding junk. Every one is the client's mistake.
 */
export function malformedRequests(count: number, seed: number): MalformedRequest[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const brokenDocument = () => {
    const document = pick(DOCUMENTS);
    const at = Math.floor(random() * document.length);
    return random() < 0.5
      ? document.slice(0, at)
      : `${document.slice(0, at)}${pick(JUNK)}${document.slice(at)}`;
  };
  const json = { 'content-type': 'application/json' };
  const accept = () =>
    pick([
      'application/json',
      'application/graphql-response+json',
      '*/*',
      'text/html',
      'application/xml',
    ]);
  const kinds: Array<() => MalformedRequest> = [
    () => {
      const query = brokenDocument();
      return {
        search: '',
        method: 'POST',
        headers: { ...json, accept: accept() },
        body: JSON.stringify({ query }),
        description: `POST document ${JSON.stringify(query)}`,
      };
    },
    () => {
      const body = JSON.stringify({ query: pick(DOCUMENTS) }).slice(0, Math.floor(random() * 40));
      return { search: '', method: 'POST', headers: json, body, description: `POST body ${body}` };
    },
    () => {
      const body = JSON.stringify(
        pick([
          [],
          [1, 2],
          42,
          'query',
          null,
          { query: 42 },
          { query: ['{ a }'] },
          { query: null },
          { query: '{ __typename }', variables: 'nope' },
          { query: '{ __typename }', variables: [1] },
          { query: '{ __typename }', operationName: 7 },
          { query: '{ __typename }', extensions: 'x' },
          { query: pick(DOCUMENTS), variables: { first: 'ten', input: 5, id: {} } },
          [{ query: '{' }, { query: '}' }],
          Array.from({ length: 30 }, () => ({ query: '{ __typename }' })),
        ]),
      );
      return { search: '', method: 'POST', headers: json, body, description: `POST body ${body}` };
    },
    () => {
      const params = new URLSearchParams({ query: brokenDocument() });
      if (random() < 0.5) params.set('variables', pick(['{', '[1]', 'null x', '"a"', '{"a":']));
      if (random() < 0.5) params.set('extensions', pick(['[', '1', '{"persistedQuery":', 'x']));
      if (random() < 0.3) params.set('operationName', pick(['', '{', 'Nope']));
      return {
        search: `?${params}`,
        method: 'GET',
        headers: { accept: accept() },
        description: `GET ?${params}`,
      };
    },
    () => {
      const contentType = pick([
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'application/graphql',
      ]);
      const body = pick([pick(DOCUMENTS), '--x\r\n\r\n--x--', 'query=%7B', brokenDocument()]);
      return {
        search: '',
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
        description: `POST ${contentType} ${JSON.stringify(body)}`,
      };
    },
    () => {
      const method = pick(['PUT', 'DELETE', 'PATCH']);
      return {
        search: '',
        method,
        headers: json,
        body: JSON.stringify({ query: '{ __typename }' }),
        description: `${method} request`,
      };
    },
    () => {
      const depth = 5 + Math.floor(random() * 200);
      const query = `${'{ a '.repeat(depth)}${'}'.repeat(depth - (random() < 0.5 ? 1 : 0))}`;
      return {
        search: '',
        method: 'POST',
        headers: json,
        body: JSON.stringify({ query }),
        description: `POST nested document of depth ${depth}`,
      };
    },
  ];
  return Array.from({ length: count }, () => pick(kinds)());
}
