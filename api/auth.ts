import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { apiKeys } from '../db/schema';
import { parseApiKey, secretMatches } from './api-keys';
import type { Scope } from './context';

/** Who is calling: the workspace and permissions an API key grants. */
export interface Principal {
  workspaceId: string;
  apiKeyId: string;
  scopes: ReadonlySet<Scope>;
  /**
   * The workspace's revision when the key was checked (db/schema/tenancy.ts): every row the
   * request reads afterwards is at least this recent. The response cache keys by it.
   */
  revision: number;
}

/** `last_used_at` is refreshed at most this often, so that reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;
const KNOWN_SCOPES: readonly Scope[] = ['admin', 'read'];

/** Extracts the key from an `Authorization: Bearer <key>` header (RFC 6750 §2.1). */
export function bearerToken(header: string | null): string | null {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/**
 * Resolves a presented API key to its principal, or null when the key is malformed, unknown,
 * revoked or does not match. All failures look the same to the caller on purpose.
 */
export async function authenticate(db: Database, key: string | null): Promise<Principal | null> {
  const parsed = key ? parseApiKey(key) : null;
  if (!parsed) return null;
  // The revision comes with the key, in the same statement: no round trip of its own.
  const [found] = await db
    .select({
      key: apiKeys,
      // Qualified by hand: Drizzle leaves columns in a select unqualified.
      revision: sql<string | null>`(select r.revision from workspace_revisions r
        where r.workspace_id = "api_keys"."workspace_id")`,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, parsed.prefix), isNull(apiKeys.revokedAt)))
    .limit(1);
  const row = found?.key;
  if (!row || !(await secretMatches(parsed.secret, row.secretHash))) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, row.id));
  }
  const scopes = new Set(KNOWN_SCOPES.filter((scope) => row.scopes.includes(scope)));
  return {
    workspaceId: row.workspaceId,
    apiKeyId: row.id,
    scopes,
    revision: Number(found.revision ?? 0),
  };
}
