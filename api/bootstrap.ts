import type { Database } from '../db/client';
import { workspaces } from '../db/schema';
import { canonicalTimezone } from '../workflow/system-time';
import { issueApiKey } from './api-keys';

/**
 * Creates a workspace and an admin API key for it: how the start script gives a developer a
 * working key, and how tests get tenants. Returns the key's plaintext (it is not stored).
 * Throws a RangeError for a timezone that is not an IANA zone.
 */
export async function createWorkspaceWithKey(
  db: Database,
  input: { name: string; timezone?: string },
): Promise<{ workspaceId: string; apiKey: string }> {
  const timezone = canonicalTimezone(input.timezone ?? 'UTC');
  if (timezone === null) throw new RangeError(`Unknown IANA timezone "${input.timezone}"`);
  return db.transaction(async (tx) => {
    const [workspace] = await tx
      .insert(workspaces)
      .values({ name: input.name, timezone })
      .returning({ id: workspaces.id });
    const key = await issueApiKey(tx, {
      workspaceId: workspace!.id,
      name: 'Admin key',
      scopes: ['admin'],
    });
    return { workspaceId: workspace!.id, apiKey: key.plaintext };
  });
}
