import { lexicographicSortSchema, printSchema } from 'graphql';
import { apiSchema } from './server';

/** Where the printed schema is committed, relative to the repository root. */
export const SCHEMA_FILE = 'schema.graphql';

/**
 * The API schema as SDL, types and fields sorted by name so that reordering code never shows up
 * as a schema change. This is what `schema.graphql` holds (`npm run schema:print`).
 */
export function printApiSchema(): string {
  return `${printSchema(lexicographicSortSchema(apiSchema()))}\n`;
}
