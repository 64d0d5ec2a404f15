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
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, DrizzlePlugin],
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
  description: 'An ISO-8601 timestamp with timezone.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('Invalid DateTime');
    return date;
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
