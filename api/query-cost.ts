import {
  type GraphQLField,
  type GraphQLNamedType,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { requestErrorHttp } from './use-spec-status';

/**
 * The query cost model: roughly the number of rows an operation can make the server read and
 * turn into objects.
 *
 * - A field returning an object (or a list of them) costs ROW_COST per object read from a row,
 *   EMBEDDED_OBJECT_COST per object built from part of a row, plus what is selected beneath
 *   it; a scalar or enum field costs nothing (the document's size is bounded by the token
 *   limit, and a scalar of an object already paid for is read from its row).
 * - A paginated field (one with `first`/`last`) multiplies what it holds by the page size
 *   asked for (`$variables` included, at most MAX_PAGE_SIZE), or the default page size.
 * - Any other list multiplies by its size in LIST_SIZES, else by DEFAULT_LIST_SIZE. Lists
 *   inside a page's type (a connection's `nodes` and `edges`, PAGE_TYPES' `nodes`) are
 *   already counted by the page.
 * - A field that runs a statement per object adds its FIELD_COSTS once per object.
 *
 * graphql-query-complexity walks the document with the variables (Armor's cost counts page
 * sizes only when written as literals, and grows ×1.5 with every level of depth, which refused
 * a page of 50 workflows with their steps while a `$first` variable of 100 passed).
 */

/** The page size a connection returns when the client names none (builder.ts). */
export const DEFAULT_PAGE_SIZE = 20;
/** The largest page a connection returns, whatever `first`/`last` asks (builder.ts). */
export const MAX_PAGE_SIZE = 100;
/** Items assumed in a list whose field declares no size (steps of a workflow, blocks…). */
export const DEFAULT_LIST_SIZE = 10;
/**
 * The most an operation may cost. Calibrated (api/query-cost.test.ts) so that a page of 100
 * workflows with their steps and every field of their configs passes with room to spare, while
 * that listing aliased a few times, or pages nested in pages, are refused.
 */
export const MAX_QUERY_COST = 100_000;

/** An object read from a database row: a type over a Drizzle table, or one in OTHER_ROW_TYPES. */
export const ROW_COST = 1;
/**
 * An object built from a part of a row already read (a step's config, its rich text, a
 * template in a channel's list), or computed: no statement, no row to parse of its own.
 */
export const EMBEDDED_OBJECT_COST = 0.2;
/** Types read from rows by their own statements rather than over a Drizzle table type. */
const OTHER_ROW_TYPES = new Set(['ConversationMessage']);

/**
 * Types a paginated field returns whose name does not end in `Connection`: their lists are the
 * page's items, already multiplied by its size (counting them again made one contact's
 * conversation of 100 messages cost as much as 1,000).
 */
const PAGE_TYPES = new Set(['ConversationPage']);

/** Whether `type`'s lists are the items of a page, which its field has already counted. */
function isPageType(type: GraphQLNamedType): boolean {
  return type.name.endsWith('Connection') || PAGE_TYPES.has(type.name);
}

/**
 * Items assumed in lists that take no page size, by `Type.field`: what a large workspace holds
 * (lists that are not here count DEFAULT_LIST_SIZE). Kept in one table, next to the limit it
 * is calibrated with, rather than spread over the schema files.
 */
export const LIST_SIZES: Readonly<Record<string, number>> = {
  'Workflow.steps': 20,
  'SendMessageConfig.channelResponses': 5,
  'EmailContent.body': 10,
  'RichTextBlock.spans': 3,
  'RichTextBlock.items': 5,
  /** A WhatsApp Business account may hold up to 1,000 templates (channel.ts). */
  'Channel.templates': 1000,
  /** The newest starts of a workflow, at most SEGMENT_STARTS_LISTED (segment-start.ts). */
  'Query.segmentStarts': 100,
};

/**
 * Extra cost of a field that runs a statement of its own for every object it is asked on
 * (not batched with its siblings), in objects: what such a statement costs the database.
 */
export const FIELD_COSTS: Readonly<Record<string, number>> = {
  /** A statement per contact, reading up to a page of deliveries and inbound messages. */
  'Contact.conversation': 1000,
  /** Reads a column of up to a thousand templates per channel. */
  'Channel.templates': 500,
};

/** What building one object of this type costs: a row, or a part of a row's JSON. */
function objectCost(type: GraphQLNamedType): number {
  const extensions = type.extensions as { pothosDrizzleTable?: unknown } | undefined;
  return extensions?.pothosDrizzleTable || OTHER_ROW_TYPES.has(type.name)
    ? ROW_COST
    : EMBEDDED_OBJECT_COST;
}

function pageSize(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>) {
  if (!field.args.some((arg) => arg.name === 'first' || arg.name === 'last')) return undefined;
  const asked = Math.max(Number(args.first ?? 0), Number(args.last ?? 0));
  return asked > 0 ? Math.min(asked, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

/** The estimator behind the model described above. */
export const objectCountEstimator: ComplexityEstimator = function objectCount({
  type,
  field,
  args,
  childComplexity,
}) {
  const key = `${type.name}.${field.name}`;
  const returned = getNullableType(field.type);
  const named = getNamedType(returned);
  const own = isCompositeType(named) ? objectCost(named) : 0;
  const extra = FIELD_COSTS[key] ?? 0;
  const page = pageSize(field, args);
  if (page !== undefined) return extra + page * (own + childComplexity);
  if (isListType(returned) && !isPageType(type)) {
    return extra + (LIST_SIZES[key] ?? DEFAULT_LIST_SIZE) * (own + childComplexity);
  }
  return extra + own + childComplexity;
};

/**
 * Refuses, before any resolver runs, an operation whose cost exceeds MAX_QUERY_COST, with
 * a BAD_USER_INPUT error that says the cost and the limit: a request error, 400 under
 * `application/graphql-response+json` and 200 under `application/json` (requestErrorHttp).
 */
export function useQueryCost(maxCost = MAX_QUERY_COST): Plugin {
  return {
    onExecute({ args }) {
      const cost = Math.ceil(
        getComplexity({
          schema: args.schema,
          query: args.document,
          variables: (args.variableValues ?? {}) as Record<string, unknown>,
          operationName: args.operationName ?? undefined,
          estimators: [objectCountEstimator],
        }),
      );
      if (cost > maxCost) {
        throw createGraphQLError(
          `Query cost ${cost} exceeds the limit of ${maxCost}: ask for smaller pages or fewer fields`,
          { extensions: { code: 'BAD_USER_INPUT', cost, maxCost, http: requestErrorHttp() } },
        );
      }
    },
  };
}
