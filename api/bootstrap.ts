import type { Database } from '../db/client';
import { workspaces } from '../db/schema';
import { issueApiKey } from './api-keys';

/**
 * Creates a workspace and an admin API key for it: how the start script gives a developer a
 * working key, and how tests get tenants. Returns the key's plaintext (it is not stored).
 */
export async function createWorkspaceWithKey(
  db: Database,
  input: { name: string; timezone?: string },
): Promise<{ workspaceId: string; apiKey: string }> {
  return db.transaction(async (tx) => {
    const [workspace] = await tx
      .insert(workspaces)
      .values({ name: input.name, timezone: input.timezone ?? 'UTC' })
      .returning({ id: workspaces.id });
    const key = await issueApiKey(tx as unknown as Database, {
      workspaceId: workspace!.id,
      name: 'Admin key',
      scopes: ['admin'],
    });
    return { workspaceId: workspace!.id, apiKey: key.plaintext };
  });
}
