import { createWorkspaceWithKey } from '../api/bootstrap';
import { createNodePostgres } from '../db/drivers/node-postgres';

/**
 * `npm run workspace:create -- <name> [timezone]`: creates a workspace and its first admin API
 * key in the database at DATABASE_URL and prints the key. It is shown only this once: the
 * database keeps a hash.
 */
async function main(): Promise<void> {
  const [name, timezone = 'UTC'] = process.argv.slice(2);
  const url = process.env.DATABASE_URL;
  if (!url || !name) {
    console.error('Usage: DATABASE_URL=postgres://… npm run workspace:create -- <name> [timezone]');
    process.exit(2);
  }
  const postgres = createNodePostgres(url, { max: 1 });
  try {
    const { workspaceId, apiKey } = await createWorkspaceWithKey(postgres.db, { name, timezone });
    console.log(`Workspace ${workspaceId} (${name}, ${timezone})`);
    console.log(`Admin API key (shown once): ${apiKey}`);
  } finally {
    await postgres.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
