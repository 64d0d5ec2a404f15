import { readFileSync } from 'node:fs';
import { type DocumentNode, Kind, parse, print, type SelectionSetNode, visit } from 'graphql';
import { createSchema, createYoga, type YogaServerInstance } from 'graphql-yoga';

/**
 * The floor the listing is measured against: Yoga with the API's own schema (the printed
 * schema.graphql), answering the same query with the same result from memory through graphql's
 * default resolvers. What it costs per request is what parsing the HTTP request, executing the
 * document over that schema and serialising the response cost, with no database and no
 * resolver work: the API can approach it, not beat it.
 */

const SCHEMA_FILE = new URL('../../schema.graphql', import.meta.url);

/** The document with `__typename` asked in every selection set (abstract types resolve by it). */
export function withTypenames(query: string): string {
  const document = visit(parse(query), {
    SelectionSet(node: SelectionSetNode): SelectionSetNode {
      const asks = node.selections.some(
        (selection) => selection.kind === Kind.FIELD && selection.name.value === '__typename',
      );
      if (asks) return node;
      const typename = {
        kind: Kind.FIELD,
        name: { kind: Kind.NAME, value: '__typename' },
      } as const;
      return { ...node, selections: [...node.selections, typename] };
    },
  }) as DocumentNode;
  return print(document);
}

/**
 * A Yoga server whose root `Query` fields return `data` (a result fetched with
 * `withTypenames`, so interfaces and unions resolve by `__typename`).
 */
export function memoryFloorServer(
  data: Record<string, unknown>,
): YogaServerInstance<Record<string, unknown>, Record<string, unknown>> {
  const Query = Object.fromEntries(Object.keys(data).map((field) => [field, () => data[field]]));
  return createYoga({
    schema: createSchema({ typeDefs: readFileSync(SCHEMA_FILE, 'utf8'), resolvers: { Query } }),
    // The API it stands for runs with masked errors and no GraphiQL in production.
    graphiql: false,
    landingPage: false,
  });
}
