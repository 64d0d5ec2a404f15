import { bigint, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** A tenant. Every other row belongs to exactly one workspace. */
export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  /** IANA zone used for `$system.current_*` variables. */
  timezone: text('timezone').notNull().default('UTC'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A counter per workspace that every write to a table the API's response cache reads bumps, in
 * the writing transaction (statement triggers, db/revision-triggers.ts). A cached response is
 * keyed by the revision read with the API key, so no isolate serves data older than a write
 * it can see. No foreign key: the triggers also fire while a workspace's rows are deleted with
 * it, and a leftover counter is harmless.
 */
export const workspaceRevisions = pgTable('workspace_revisions', {
  workspaceId: uuid('workspace_id').primaryKey(),
  revision: bigint('revision', { mode: 'number' }).notNull().default(0),
});

/**
 * API keys. Only a SHA-256 hash of the secret is stored: keys are long random
 * strings, so a fast hash is enough (no password stretching needed). `prefix`
 * is the public part used to find the row.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull().unique(),
    secretHash: text('secret_hash').notNull(),
    /** 'admin' | 'read' */
    scopes: text('scopes').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_workspace_idx').on(t.workspaceId)],
);
