import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { channels } from './channels';
import { workspaces } from './tenancy';

/** A person messages are sent to. */
export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    firstName: text('first_name'),
    lastName: text('last_name'),
    email: text('email'),
    /** E.164 */
    phone: text('phone'),
    /** ISO 3166-1 alpha-2 */
    country: text('country'),
    /** BCP 47 */
    language: text('language'),
    customFields: jsonb('custom_fields').$type<Record<string, string>>().notNull().default({}),
    /**
     * The channel of the contact's most recent interaction (an inbound message, or one set
     * through the API); used by "Last Interacted Channel". Only a more recent interaction
     * replaces it (see `lastInteractedAt`).
     */
    lastInteractedChannelId: uuid('last_interacted_channel_id').references(
      (): AnyPgColumn => channels.id,
      { onDelete: 'set null' },
    ),
    /** When that interaction happened. */
    lastInteractedAt: timestamp('last_interacted_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('contacts_workspace_idx').on(t.workspaceId, t.createdAt),
    index('contacts_workspace_email_idx').on(t.workspaceId, t.email),
    // Segment chunks walk a workspace's contacts in id order (keyset pagination).
    index('contacts_workspace_id_idx').on(t.workspaceId, t.id),
    // Segment filters' custom field equality is `custom_fields @> {...}`.
    index('contacts_custom_fields_idx').using('gin', t.customFields.op('jsonb_path_ops')),
  ],
);

/** The contact's address on one channel (phone, email, PSID, chat id...). */
export const contactIdentities = pgTable(
  'contact_identities',
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
    address: text('address').notNull(),
    /** When the contact last wrote in on this channel: opens the 24 h window on WhatsApp/Messenger. */
    lastInboundAt: timestamp('last_inbound_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('contact_identities_contact_channel_uq').on(t.contactId, t.channelId),
    uniqueIndex('contact_identities_channel_address_uq').on(t.channelId, t.address),
    // An e-mail address is one mailbox in any letter case: upsertContactIdentity looks for
    // another contact's address on an email channel through this (api/schema/contact-identity.ts).
    index('contact_identities_channel_lower_address_idx').on(t.channelId, sql`lower(${t.address})`),
  ],
);
