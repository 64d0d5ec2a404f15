import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { type DocumentNode, Kind, NoSchemaIntrospectionCustomRule, visit } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { MAX_QUERY_COST, useQueryCost } from './query-cost';
import { requestErrorHttp } from './use-spec-status';

/**
 * Limits every operation must stay within, checked before any resolver runs: depth, aliases,
 * directives and tokens by GraphQL Armor during validation (depth counts fields only, fragments
 * flattened, so a union member selection does not cost a level), cost by api/query-cost.ts
 * once the variables are known.
 */
export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2000,
  /** Objects an operation may make the server build (api/query-cost.ts). */
  maxCost: MAX_QUERY_COST,
} as const;

/** Most operations one HTTP request may batch (an array body). */
export const MAX_BATCH_SIZE = 10;

/**
 * Deepest nesting of arrays and objects in one of an operation's variables. The deepest input the
 * schema takes (an email body's list items inside a step's config) is about ten levels; `JSON`
 * variables (custom fields, trigger variables) are flat objects of strings.
 */
export const MAX_VARIABLE_DEPTH = 32;

/**
 * Query limits (depth, cost, aliases, directives, tokens), plus in production no
 * introspection and no "did you mean" field suggestions, which would leak the schema
 * that disabling introspection hides.
 */
export function hardeningPlugins({ production }: { production: boolean }): Plugin[] {
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: QUERY_LIMITS.maxDepth, flattenFragments: true },
      maxAliases: { n: QUERY_LIMITS.maxAliases },
      maxDirectives: { n: QUERY_LIMITS.maxDirectives },
      maxTokens: { n: QUERY_LIMITS.maxTokens },
      // Cost is counted with the variables by useQueryCost instead (see api/query-cost.ts).
      costLimit: { enabled: false },
      blockFieldSuggestion: { enabled: production },
    }) as Plugin,
  ];
  plugins.push(useBoundedVariables(), useQueryCost(QUERY_LIMITS.maxCost), useStorableText());
  if (production) plugins.push(useNoIntrospection());
  return plugins;
}

/**
 * Rejects `__schema` and `__type` with graphql-js's own validation rule; `__typename` stays
 * available because clients need it to read union results.
 */
export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * What no stored text can hold: U+0000 (Postgres stores no NUL in `text` or `jsonb`), and a UTF-16
 * surrogate without its partner (not Unicode: `jsonb` refuses it, and `text` would silently get
 * U+FFFD in its place). Paired surrogates (an emoji) are one code point and pass.
 */
const UNSTORABLE = /\0|\p{Cs}/u;

/** Whether any string in a JSON value (keys included) holds text no column can store. */
function holdsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.some(holdsUnstorable);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(
      ([key, entry]) => UNSTORABLE.test(key) || holdsUnstorable(entry),
    );
  }
  return false;
}

/** Whether a string literal of the document (`"\u0000"`, `"\ud800"`) holds such text. */
function documentHoldsUnstorable(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING](node) {
      if (UNSTORABLE.test(node.value)) found = true;
    },
  });
  return found;
}

/**
 * Refuses any operation whose variables or string literals contain U+0000 or an unpaired UTF-16
 * surrogate before it runs, with a BAD_USER_INPUT request error (400, or 200 under
 * `application/json`: requestErrorHttp). Such a value would otherwise reach the database and come
 * back as a confusing error, or be stored changed.
 */
export function useStorableText(): Plugin {
  return {
    onExecute({ args }) {
      if (holdsUnstorable(args.variableValues) || documentHoldsUnstorable(args.document)) {
        throw createGraphQLError(
          'Text must be valid Unicode without the NUL character (U+0000) or an unpaired surrogate',
          { extensions: { code: 'BAD_USER_INPUT', http: requestErrorHttp() } },
        );
      }
    },
  };
}

/** Whether `value` nests arrays and objects more than `max` levels deep (walked without recursion). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const entry of Object.values(current)) pending.push([entry, depth + 1]);
  }
  return false;
}

/**
 * Refuses, as BAD_USER_INPUT, variables nested more than MAX_VARIABLE_DEPTH levels, as soon as
 * the request's parameters are read: the response cache builds its key from them and
 * useStorableText walks them, both recursively, so a request of a few kilobytes of `[[[[…]]]]`
 * overflowed the stack and was answered as an internal error (500).
 */
export function useBoundedVariables(): Plugin {
  return {
    onParams({ params }) {
      const values = Object.values(params.variables ?? {});
      if (values.some((value) => nestsDeeperThan(value, MAX_VARIABLE_DEPTH))) {
        throw createGraphQLError(
          `Variables may nest at most ${MAX_VARIABLE_DEPTH} levels of lists and objects`,
          { extensions: { code: 'BAD_USER_INPUT', http: requestErrorHttp() } },
        );
      }
    },
  };
}
