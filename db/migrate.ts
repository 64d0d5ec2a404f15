import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { createNodePostgres } from './drivers/node-postgres';

/** Where drizzle-kit writes migrations. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/** Applies every pending drizzle-kit migration to the database at `url`. */
export async function migrateDatabase(url: string): Promise<void> {
  const { db, close } = createNodePostgres(url, { max: 1 });
  try {
    await migrate(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await close();
  }
}
