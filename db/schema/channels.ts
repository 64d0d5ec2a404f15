import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { ChannelType } from '../../workflow/channel-types';
import { workspaces } from './tenancy';

/** A messaging channel connected in a workspace (one SMTP account, one WhatsApp number, ...). */
export const channels = pgTable(
  'channels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    type: text('type').$type<ChannelType>().notNull(),
    name: text('name').notNull(),
    /** Non-secret settings (SMTP host, from address, webhook URL, phone number id...). */
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    /** AES-GCM ciphertext of the credentials JSON (`v1.<iv>.<ct>` base64url); never returned. */
    credentialsCiphertext: text('credentials_ciphertext'),
    /** A masked hint of the credentials (e.g. `••••abcd`) that the API may show. */
    credentialsHint: text('credentials_hint'),
    /** 'connected' | 'disconnected' | 'error' */
    status: text('status')
      .$type<'connected' | 'disconnected' | 'error'>()
      .notNull()
      .default('connected'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('channels_workspace_idx').on(t.workspaceId, t.createdAt)],
);
