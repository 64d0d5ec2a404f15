import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { channels } from './channels';
import { contacts } from './contacts';
import { segmentStarts } from './segments';
import { workspaces } from './tenancy';
import { workflows, workflowVersions } from './workflows';

/**
 * Ids that sort by creation time (UUID version 7, the `uuid_v7()` function of the
 * `time_ordered_ids` migration): the rows a batch creates or moves together, and their index
 * entries, share pages.
 */
const timeOrderedId = sql`uuid_v7()`;

/**
 * One contact's journey through one published workflow version.
 * `stepVisit` counts step executions so that a delivery key (run, step, visit) is unique even
 * when a graph visits a step twice in future designs.
 */
export const runs = pgTable(
  'runs',
  {
    id: uuid('id').primaryKey().default(timeOrderedId),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    versionId: uuid('version_id')
      .notNull()
      .references(() => workflowVersions.id, { onDelete: 'restrict' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    /** 'active' | 'completed' | 'exited' */
    status: text('status').$type<'active' | 'completed' | 'exited'>().notNull().default('active'),
    currentStepId: uuid('current_step_id'),
    stepVisit: integer('step_visit').notNull().default(0),
    exitReason: text('exit_reason'),
    triggerVariables: jsonb('trigger_variables')
      .$type<Record<string, string>>()
      .notNull()
      .default({}),
    /** When the current step may run (waits set this in the future). */
    dueAt: timestamp('due_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * The current visit's delivery, once a consumer first claimed it: its id is the provider's
     * idempotency key and the email's Message-ID from the first attempt on, so it is chosen
     * here, before the delivery row exists (the record writes that row with the outcome).
     * Reset when the run moves to another visit.
     */
    deliveryId: uuid('delivery_id'),
    /**
     * The channel the current visit's delivery goes to: pinned by the visit's first claim of a
     * Last Interacted step (the contact's last interacted channel then, before the provider is
     * called, edge/dispatch/load.ts and claim.ts), and set when the record keeps the run at the
     * visit (a retry, a confirm-delivery wait) to the channel the attempt went to. A retry of a
     * Last Interacted step goes to it rather than resolving the contact's channel again: an
     * attempt whose outcome is unknown (a timeout, or a consumer that died after calling the
     * provider and before its record) may have reached the contact there, and a retry on the
     * channel they wrote in on meanwhile would send them the message twice. No foreign key (the
     * claim and the record write it per run); a channel deleted since fails the retry as any
     * send to it does. Cleared when a visit's first claim is given back unused
     * (`releaseClaims`), and with `delivery_id` when the run moves to another visit.
     */
    deliveryChannelId: uuid('delivery_channel_id'),
    /** Claims of the current visit's delivery so far: the claim token the record checks. */
    deliveryAttempts: integer('delivery_attempts').notNull().default(0),
    /**
     * The current visit's delivery is finished (`sent` or `failed`) while the run is still at
     * the visit (a confirm-delivery wait, a status that proved a retried send accepted, a dead
     * letter): no claim may send it again. On the run row, so that a claim racing the statement
     * that finished it re-checks it (a claim reads its run rows as they are when it locks
     * them, but other tables as they were when it began). Reset when the run moves on.
     */
    deliveryFinished: boolean('delivery_finished').notNull().default(false),
    /**
     * A consumer holds the current visit's delivery until then (it is sending it); the sweep
     * re-enqueues runs whose holder died. Null when nobody holds it.
     */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    /** Set when a queue message for the current step was sent; the sweep re-enqueues stale ones. */
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** The segment start that started this run, if one did (edge/segments/chunk.ts). */
    segmentStartId: uuid('segment_start_id').references(() => segmentStarts.id, {
      onDelete: 'set null',
    }),
  },
  (t) => [
    // A redelivered segment chunk inserts nothing twice: one run per contact and segment start.
    uniqueIndex('runs_segment_start_contact_uq')
      .on(t.segmentStartId, t.contactId)
      .where(sql`${t.segmentStartId} is not null`),
    index('runs_workspace_idx').on(t.workspaceId, t.createdAt),
    // The sweep's way to the active runs. Keyed by the immutable id, not by `due_at`: a move
    // changes `due_at`, `current_step_id`, `step_visit` and `enqueued_at`, and a claim
    // `lease_until`, `delivery_attempts`, `delivery_id` and `delivery_finished`, but no indexed
    // column, so it is a HOT update (no new entry in any index; half of each page is kept free for it,
    // fillfactor 50 in migration `…_dispatch_write_cost_storage`). Only finishing a run changes
    // `status`.
    index('runs_active_idx').on(t.id).where(sql`${t.status} = 'active'`),
    // The sweep's way to cancelled runs whose claim's holder died (edge/dispatch/sweep.ts):
    // few rows (cancellations), and no column a claim or a move of an active run changes, so
    // those updates stay HOT.
    index('runs_cancelled_idx')
      .on(t.endedAt)
      .where(sql`${t.status} = 'exited' and ${t.exitReason} = 'cancelled'`),
    // The runs query filters by workflow or contact, newest first.
    index('runs_workflow_idx').on(t.workflowId, t.createdAt),
    index('runs_contact_idx').on(t.contactId, t.createdAt),
  ],
);

/**
 * One attempt-set to send one message: unique per (run, step, visit). Written by the record
 * with an attempt's outcome (`queued` for a retry, `sent`, `failed`); while an attempt is in
 * flight, the claim is on the run (`runs.lease_until`). `sending` is only found on rows written
 * before claims moved to the run.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey().default(timeOrderedId),
    // No foreign key of its own: it is the run's workspace (the record copies it from the run
    // it moves, the dead letter's from the run's message), and deleting a workspace deletes its
    // runs, whose deletion deletes their deliveries. A check per inserted row (and an index
    // for the cascade) saved.
    workspaceId: uuid('workspace_id').notNull(),
    // No foreign key (a check per recorded send): both statements that insert deliveries, the
    // record (edge/dispatch/record.ts) and the dead letter's (dead-letter.ts), insert only for
    // runs they updated in the same statement, whose row lock keeps the run until they commit;
    // deleting runs deletes their deliveries through a trigger (migration
    // `…_delivery_run_trigger`), as `on delete cascade` did.
    runId: uuid('run_id').notNull(),
    stepId: uuid('step_id').notNull(),
    visit: integer('visit').notNull(),
    // No foreign key (a check per recorded send): the one statement that sets it, the record
    // (edge/dispatch/record.ts), locks the channel `for key share` itself and records none for
    // a channel already deleted; deleting a channel sets its deliveries' channel to null
    // through a trigger (migration `…_delivery_channel_trigger`), as `on delete set null` did.
    channelId: uuid('channel_id'),
    /** 'queued' | 'sending' | 'sent' | 'failed' */
    status: text('status')
      .$type<'queued' | 'sending' | 'sent' | 'failed'>()
      .notNull()
      .default('queued'),
    reasonCode: text('reason_code'),
    reasonDetail: text('reason_detail'),
    attempts: integer('attempts').notNull().default(0),
    providerMessageId: text('provider_message_id'),
    /** Short human summary of what was sent (first characters of the rendered text). */
    contentSummary: text('content_summary'),
    /** The email Message-ID (equal for every attempt of this delivery). */
    messageIdHeader: text('message_id_header'),
    /** SMS segments the sent text was billed as (GSM-7: 160/153, UCS-2: 70/67); null: not SMS. */
    segments: integer('segments'),
    /**
     * The address the message was sent to (an email address, a phone number, a chat id...: the
     * contact's address on the channel, as the adapter was given it), written by the first
     * attempt that reached an adapter and never changed after. Every later attempt of the
     * delivery is sent there (edge/dispatch/load.ts reads it for a retry) rather than to the
     * contact's address as it is then: an attempt whose outcome is unknown (a timeout) may have
     * reached this one, and a retry to an address changed meanwhile would deliver the message
     * twice. Null when no attempt reached an adapter (refused before sending, dead-lettered
     * before any attempt was recorded), and on rows written before the column existed.
     */
    recipient: text('recipient'),
    /**
     * The provider's latest news after accepting the message: 'sent' | 'delivered' | 'read' |
     * 'failed' (status callbacks); null until the first one.
     */
    providerStatus: text('provider_status').$type<'sent' | 'delivered' | 'read' | 'failed'>(),
    providerStatusAt: timestamp('provider_status_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    readAt: timestamp('read_at', { withTimezone: true }),
    /** When the provider reported a failure after accepting the message. */
    failedAt: timestamp('failed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('deliveries_run_step_visit_uq').on(t.runId, t.stepId, t.visit),
    // Status callbacks find a delivery by the provider's message id on its channel, and deleting
    // a channel sets its deliveries' channel to null through it (both name a channel, which
    // implies `channel_id is not null`). A claim inserts rows without a channel: no entry.
    index('deliveries_provider_message_idx')
      .on(t.channelId, t.providerMessageId)
      .where(sql`${t.channelId} is not null`),
  ],
);

/**
 * Email threading: every email one workflow sends one contact on one channel joins one thread,
 * across runs. `messageIds` lists the thread's Message-IDs in send order (for `References`).
 * Providers with threads of their own (Gmail's `threadId`) keep theirs next to it, with the
 * subject the thread started with (Gmail joins a thread only when the Subject matches).
 */
export const emailThreads = pgTable(
  'email_threads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    messageIds: text('message_ids').array().notNull().default([]),
    /** The provider's id of the thread (Gmail `threadId`); null for SMTP. */
    providerThreadId: text('provider_thread_id'),
    /** The subject the provider's thread started with; later messages carry it. */
    providerThreadSubject: text('provider_thread_subject'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('email_threads_key_uq').on(t.workflowId, t.contactId, t.channelId)],
);
