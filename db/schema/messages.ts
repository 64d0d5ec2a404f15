import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { channels } from './channels';
import { contacts } from './contacts';
import { workspaces } from './tenancy';

/** What an inbound message holds, whatever the network (as callbacks parse it). */
export type InboundContent =
  | { type: 'text'; text: string }
  | {
      type: 'media';
      mediaType: 'image' | 'video' | 'audio' | 'document' | 'sticker';
      caption: string | null;
      fileName: string | null;
      mimeType: string | null;
      /** The provider's media id, to download it later (not fetched here). */
      providerMediaId: string | null;
    }
  | { type: 'other'; providerType: string; text: string | null };

/**
 * A message a contact sent us on a channel (the inbound half of a conversation; the outbound
 * half is `deliveries`). Unique per channel and provider message id, so a provider retrying
 * its callback records it once.
 */
export const inboundMessages = pgTable(
  'inbound_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    providerMessageId: text('provider_message_id').notNull(),
    /** The provider-neutral content (edge/channels/events.ts). */
    content: jsonb('content').$type<InboundContent>().notNull(),
    /** The text, caption or file name, for lists. */
    summary: text('summary'),
    /** When the contact sent it, as the provider says. */
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('inbound_messages_channel_message_uq').on(t.channelId, t.providerMessageId),
    index('inbound_messages_contact_idx').on(t.contactId, t.receivedAt),
  ],
);
