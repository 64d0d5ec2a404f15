import SchemaBuilder from '@pothos/core';
import DrizzlePlugin from '@pothos/plugin-drizzle';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { GraphQLError } from 'graphql';
import type { Relations } from '../db/relations';
import { relations } from '../db/relations';
import type { ApiContext } from './context';
import { parseDateTime } from './date-time';
import { ID_ARGS_PLUGIN } from './id-args';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './query-cost';

/**
 * The one Pothos builder: context type, scalars, auth scopes and plugins. Schema files under
 * api/schema/ each add one type and its fields to it.
 */
export const builder = new SchemaBuilder<{
  Context: ApiContext;
  DrizzleRelations: Relations;
  AuthScopes: { admin: boolean; read: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    Upload: { Input: unknown; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, DrizzlePlugin, ID_ARGS_PLUGIN],
  scopeAuth: {
    authScopes: (context) => ({
      admin: context.scopes.has('admin'),
      read: context.scopes.has('admin') || context.scopes.has('read'),
    }),
    unauthorizedError: () =>
      new GraphQLError('This API key may not do that', {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      }),
  },
  errors: { defaultTypes: [] },
  relay: { cursorType: 'String', clientMutationId: 'omit', nodesOnConnection: true },
  drizzle: {
    client: (context) => context.db as never,
    getTableConfig,
    relations,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
  },
});

builder.scalarType('DateTime', {
  description:
    'An RFC 3339 (ISO 8601) date-time with a timezone, e.g. 2026-12-03T09:30:00Z or 2026-12-03T10:30:00.250+01:00; years 0001 to 9999.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const parsed = parseDateTime(value);
    if (!parsed.ok) throw new GraphQLError(`Invalid DateTime: ${parsed.problem}`);
    return parsed.date;
  },
});

builder.scalarType('JSON', {
  description: 'Arbitrary JSON.',
  serialize: (value) => value,
  parseValue: (value) => value,
});

// Every root field requires at least read access; mutations opt into `admin` themselves.
builder.queryType({ authScopes: { read: true } });
builder.mutationType({ authScopes: { admin: true } });
