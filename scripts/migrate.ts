import { migrateDatabase } from '../db/migrate';

/**
 * `npm run db:migrate`: applies pending drizzle-kit migrations to the database in DATABASE_URL
 * (Neon before a deploy, or any Postgres). `npm start` migrates its own database by itself.
 */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('Set DATABASE_URL to the Postgres to migrate, e.g.');
    console.error('  DATABASE_URL=postgres://user:password@host/db npm run db:migrate');
    process.exit(1);
  }
  await migrateDatabase(url);
  console.log(`Migrations applied to ${new URL(url).host}${new URL(url).pathname}`);
}

await main();
