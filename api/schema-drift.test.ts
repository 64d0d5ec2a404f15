import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { printApiSchema, SCHEMA_FILE } from './schema-sdl';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema:print` after changing it)', () => {
    const committed = readFileSync(
      fileURLToPath(new URL(`../${SCHEMA_FILE}`, import.meta.url)),
      'utf8',
    );
    expect(printApiSchema(), 'schema.graphql is stale: run `npm run schema:print`').toBe(committed);
  });
});
