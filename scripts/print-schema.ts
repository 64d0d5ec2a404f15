import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printApiSchema, SCHEMA_FILE } from '../api/schema-sdl';

/** Regenerates schema.graphql from the Pothos builder (`npm run schema:print`). */
const target = fileURLToPath(new URL(`../${SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, printApiSchema());
console.log(`Wrote ${SCHEMA_FILE}`);
