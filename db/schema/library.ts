import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './tenancy';

/** A reusable saved text, referenced from messages as `$snippet.<name>`. */
export const snippets = pgTable(
  'snippets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('snippets_workspace_name_uq').on(t.workspaceId, t.name)],
);

/** The workspace's file library: media messages point at these. */
export const files = pgTable(
  'files',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    /**
     * A file registered by URL (`createFile`): where its bytes live, and what channels send.
     * Null for uploaded files, whose bytes are in the media bucket under `storageKey` and which
     * channels send as a signed link to the Worker (edge/media/signed-link.ts).
     */
    url: text('url'),
    /** The object key in the media bucket (R2) of an uploaded file; null for a URL file. */
    storageKey: text('storage_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('files_workspace_idx').on(t.workspaceId, t.createdAt),
    // Exactly one home for the bytes: a URL, or an object in the media bucket.
    check('files_url_or_storage_key', sql`(${t.url} is null) <> (${t.storageKey} is null)`),
  ],
);
