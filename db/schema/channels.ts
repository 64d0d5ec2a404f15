import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { ChannelTemplate } from '../../workflow/channel-templates';
import type { ChannelType } from '../../workflow/channel-types';
import { MAX_CHANNEL_MESSAGES_PER_SECOND } from '../../workflow/send-rate';
import { workspaces } from './tenancy';

/** A messaging channel connected in a workspace (one SMTP account, one WhatsApp number, ...). */
export const channels = pgTable(
  'channels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** The contact-facing network: email, whatsapp, messenger… */
    type: text('type').$type<ChannelType>().notNull(),
    /**
     * The provider API that reaches it (`smtp`, `meta`, `twilio`…; edge/channels/registry.ts).
     * Null only on rows saved before providers existed: read it through `providerOf`.
     */
    provider: text('provider'),
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
    /** What the last check with the provider said, in words (the problem when in error). */
    statusDetail: text('status_detail'),
    /** When the provider last confirmed the credentials. */
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    /**
     * The token a provider's callback handshake must present (Meta's `hub.verify_token`),
     * generated when the channel is created and shown by the API; null for providers that
     * send no callbacks.
     */
    callbackToken: text('callback_token'),
    /** The provider account's message templates (WhatsApp), as last listed; null: never. */
    templates: jsonb('templates').$type<ChannelTemplate[]>(),
    templatesSyncedAt: timestamp('templates_synced_at', { withTimezone: true }),
    /**
     * Messages per second dispatch sends through this channel, set by the user (a WhatsApp
     * number Meta upgraded to 1,000 mps); null: the provider's documented default
     * (`ChannelDefinition.sendRate`, edge/channels/send-rate.ts), or no limit where it has none.
     */
    maxMessagesPerSecond: integer('max_messages_per_second'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('channels_workspace_idx').on(t.workspaceId, t.createdAt),
    check(
      'channels_max_messages_per_second_range',
      sql`${t.maxMessagesPerSecond} between 1 and ${sql.raw(String(MAX_CHANNEL_MESSAGES_PER_SECOND))}`,
    ),
  ],
);
