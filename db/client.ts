import type { PgAsyncDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Relations } from './relations';

/**
 * The database handle every module uses. Which driver sits behind it (Neon serverless in the
 * Worker, node-postgres in Node and tests) is decided once, in the factories
 * under db/drivers/, and nothing else in the code cares.
 */
export type Database = PgAsyncDatabase<PgQueryResultHKT, Relations>;
