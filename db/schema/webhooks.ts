import {
  bigint,
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './tenancy';

/**
 * Partner webhook endpoints (docs/architecture.md, "Partner webhooks"). The signing secret is
 * stored encrypted with CREDENTIALS_KEY (AES-256-GCM, db/credentials.ts), never in clear, and
 * the API shows it only in the create and rotate payloads. During a rotation's grace period the
 * previous secret is kept too, so that both signatures are sent.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types delivered (edge/events/types.ts); empty means every type. */
    eventTypes: text('event_types').array().notNull().default([]),
    workflowId: uuid('workflow_id'),
    channelId: uuid('channel_id'),
    contactId: uuid('contact_id'),
    enabled: boolean('enabled').notNull().default(true),
    /** Why the endpoint was disabled by us (`gone`, `failing`), null when enabled or by hand. */
    disabledReason: text('disabled_reason'),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    secretCiphertext: text('secret_ciphertext').notNull(),
    previousSecretCiphertext: text('previous_secret_ciphertext'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    /** Events after this cursor reach the endpoint (the log's last cursor when it was created). */
    startCursor: bigint('start_cursor', { mode: 'number' }).notNull().default(0),
    /** Since when every attempt failed (null after a success): auto-disable counts from it. */
    failingSince: timestamp('failing_since', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_workspace_idx').on(t.workspaceId)],
);

/**
 * One event for one endpoint. `id` is the Standard Webhooks `msg_…` id, the same on every
 * attempt and replay. `status`: pending (due at `next_attempt_at`), delivering (claimed until
 * `lease_until`), succeeded, failed (the schedule ran out).
 */
export const webhookMessages = pgTable(
  'webhook_messages',
  {
    id: text('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventCursor: bigint('event_cursor', { mode: 'number' }).notNull(),
    eventType: text('event_type').notNull(),
    status: text('status').notNull().default('pending'),
    /** Attempts in the current schedule (a replay starts a new one). */
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    /** When its queue message becomes visible; the sweep re-enqueues due messages without one. */
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('webhook_messages_endpoint_event_key').on(t.endpointId, t.eventCursor),
    index('webhook_messages_endpoint_created_idx').on(t.endpointId, t.createdAt),
    index('webhook_messages_due_idx').on(t.nextAttemptAt),
  ],
);

/** Every attempt to deliver a message: what the endpoint answered, or why nothing came. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    messageId: text('message_id')
      .notNull()
      .references(() => webhookMessages.id, { onDelete: 'cascade' }),
    endpointId: uuid('endpoint_id').notNull(),
    attemptedAt: timestamp('attempted_at', { withTimezone: true }).notNull(),
    /** The HTTP status, null when no answer came (timeout, refused, SSRF rule). */
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    /** The start of the answer's body, at most 1 KB. */
    responseExcerpt: text('response_excerpt'),
    error: text('error'),
    succeeded: boolean('succeeded').notNull(),
  },
  (t) => [index('webhook_attempts_message_idx').on(t.messageId, t.attemptedAt)],
);

/** Per workspace, the last event cursor turned into webhook messages. */
export const webhookCursors = pgTable('webhook_cursors', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  lastCursor: bigint('last_cursor', { mode: 'number' }).notNull().default(0),
});
