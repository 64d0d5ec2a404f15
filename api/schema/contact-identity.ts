import { and, eq, inArray, ne, type SQL, sql } from 'drizzle-orm';
import { addressLockKey, lockAddresses } from '../../db/address-locks';
import type { Database } from '../../db/client';
import { isMoreRecentInteraction } from '../../db/interactions';
import { channels, contactIdentities, contacts } from '../../db/schema';
import { integrationFor, providerOf } from '../../edge/channels/registry';
import { addressProblem } from '../../workflow/channel-addresses';
import { CHANNEL_CAPABILITIES } from '../../workflow/channel-capabilities';
import type { ChannelType } from '../../workflow/channel-types';
import { isUuid } from '../../workflow/ids';
import { phoneEquivalents } from '../../workflow/phone-equivalents';
import { builder } from '../builder';
import type { ApiContext } from '../context';
import { isUniqueViolation, sqlState } from '../db-errors';
import { NotFoundError, ValidationError } from '../errors';
import { IssueList } from '../validation';

const UNIQUE_ADDRESS = 'contact_identities_channel_address_uq';
/** SQLSTATE foreign_key_violation: a row the write names was deleted after it was checked. */
const FOREIGN_KEY_VIOLATION = '23503';
/** How far ahead of our clock a client's "now" may be (clock skew) as a `lastInboundAt`. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Before this, a `lastInboundAt` is no real message (and may be beyond what Postgres stores). */
const EARLIEST_INBOUND = new Date('1970-01-01T00:00:00Z');

/**
 * A contact's address on one channel: email address, phone (or a WhatsApp user's business-scoped
 * user ID), Messenger PSID, Telegram chat id...
 */
export const ContactIdentityRef = builder.drizzleObject('contactIdentities', {
  name: 'ContactIdentity',
  fields: (t) => ({
    id: t.exposeID('id'),
    address: t.exposeString('address'),
    lastInboundAt: t.expose('lastInboundAt', {
      type: 'DateTime',
      nullable: true,
      description:
        'When the contact last wrote in here: opens the 24-hour window on WhatsApp/Messenger.',
    }),
    channel: t.relation('channel'),
    contact: t.relation('contact'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const UpsertContactIdentityInput = builder.inputType('UpsertContactIdentityInput', {
  fields: (t) => ({
    contactId: t.id({ required: true }),
    channelId: t.id({ required: true }),
    address: t.string({
      required: true,
      description:
        "Email for email channels, E.164 for WhatsApp/SMS (on a WhatsApp channel through Meta's Cloud API, 360dialog or Vonage, also the user's business-scoped user ID, e.g. US.13491208655302741918, or parent BSUID, e.g. US.ENT.11815799212886844830), PSID for Messenger, chat id for Telegram.",
    }),
    lastInboundAt: t.field({
      type: 'DateTime',
      description:
        'When the contact last wrote in: not in the future, not before 1970. Omit to keep the ' +
        'stored value while the address stays the same (in any letter case, or the same number ' +
        'in its other form); a new address has not written in: without one, its window is closed.',
    }),
  }),
});

/**
 * Checks that `address` has the shape the channel sends to, through its provider (a WhatsApp
 * channel through Meta's Cloud API, 360dialog or Vonage also takes a business-scoped user ID);
 * records an issue if not.
 */
function checkAddress(
  issues: IssueList,
  channel: { type: ChannelType; provider: string | null },
  address: string,
): void {
  const provider = providerOf(channel);
  const label = integrationFor(channel.type, provider)?.definition.label ?? channel.type;
  const problem = addressProblem(channel.type, address, { name: provider, label });
  if (problem) issues.add(problem.code, 'address', problem.message);
}

/**
 * A `lastInboundAt` is when a message arrived: a future one would hold the messaging window open
 * and keep the channel the last interacted one against every real message after it (only a
 * more recent interaction replaces it).
 */
function checkLastInboundAt(issues: IssueList, at: Date): void {
  if (at < EARLIEST_INBOUND || at.getTime() > Date.now() + MAX_CLOCK_SKEW_MS) {
    issues.add('INVALID_VALUE', 'lastInboundAt', 'Must be a past time, from 1970 on');
  }
}

/** The contact, if it exists in the caller's workspace. */
async function findContact(ctx: ApiContext, id: string | number) {
  if (!isUuid(id)) return undefined;
  const [contact] = await ctx.db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.id, id), eq(contacts.workspaceId, ctx.workspaceId)));
  return contact;
}

/** The channel, if it exists in the caller's workspace (another workspace's looks absent). */
async function findChannel(ctx: ApiContext, id: string | number) {
  if (!isUuid(id)) return undefined;
  const [channel] = await ctx.db
    .select({ id: channels.id, type: channels.type, provider: channels.provider })
    .from(channels)
    .where(and(eq(channels.id, id), eq(channels.workspaceId, ctx.workspaceId)));
  return channel;
}

function channelNotFound(id: string | number): ValidationError {
  return new ValidationError([
    {
      code: 'CHANNEL_NOT_FOUND',
      path: 'channelId',
      message: `Channel ${id} is not in this workspace`,
    },
  ]);
}

/**
 * The typed error for a write a foreign key refused: the contact or the channel was found, then
 * deleted by another request before the write (undefined when both are still there).
 */
async function deletedSinceChecked(
  ctx: ApiContext,
  contactId: string | number,
  channelId: string | number | null,
): Promise<Error | undefined> {
  if (!(await findContact(ctx, contactId))) return new NotFoundError('Contact', String(contactId));
  if (channelId !== null && !(await findChannel(ctx, channelId))) return channelNotFound(channelId);
  return undefined;
}

/**
 * The identities on a channel of `type` that are `address`: the exact address, and beyond what
 * the unique index compares, an e-mail address in any letter case (one mailbox) and a phone
 * number in its equivalent forms (workflow/phone-equivalents.ts: a Mexican mobile with or
 * without the 1 after +52, a Brazilian mobile with or without its ninth digit, one subscriber
 * that WhatsApp reports by one form and an inbound message finds an identity by). `beyondExact`:
 * whether it names more than the exact address, which only then is looked for before the write.
 */
function sameAddressAs(type: ChannelType, address: string): { where: SQL; beyondExact: boolean } {
  if (CHANNEL_CAPABILITIES[type].recipient === 'email') {
    return {
      where: sql`lower(${contactIdentities.address}) = lower(${address})`,
      beyondExact: true,
    };
  }
  const forms = phoneEquivalents(address);
  return { where: inArray(contactIdentities.address, forms), beyondExact: forms.length > 1 };
}

/** Another contact has the address on the channel (`otherForm`: as this other form of the number). */
function addressTaken(otherForm?: string): ValidationError {
  return new ValidationError([
    {
      code: 'INVALID_VALUE',
      path: 'address',
      message: otherForm
        ? `Another contact already has this number on this channel, as ${otherForm} (the same subscriber's number in another form)`
        : 'Another contact already has this address on this channel',
    },
  ]);
}

builder.mutationFields((t) => ({
  upsertContactIdentity: t.drizzleField({
    type: 'contactIdentities',
    description: "Sets the contact's address on a channel (one identity per contact and channel).",
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: UpsertContactIdentityInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const contact = await findContact(ctx, input.contactId);
      if (!contact) throw new NotFoundError('Contact', String(input.contactId));
      const channel = await findChannel(ctx, input.channelId);
      if (!channel) throw channelNotFound(input.channelId);
      const issues = new IssueList();
      const address = input.address.trim();
      checkAddress(issues, channel, address);
      const lastInboundAt = input.lastInboundAt ?? undefined;
      if (lastInboundAt) checkLastInboundAt(issues, lastInboundAt);
      issues.throwIfAny();
      try {
        // One transaction: the identity and the interaction it records are written together.
        return await ctx.db.transaction(async (tx) => {
          // The address's lock, which inbound messages from it take too (db/address-locks.ts):
          // an identity given here and that address's first message, recorded meanwhile, do not
          // make one person two contacts; and two writes of one address do not both pass the
          // check below.
          await lockAddresses(tx as unknown as Database, [addressLockKey(address)]);
          const same = sameAddressAs(channel.type, address);
          // The exact address is the unique index's to refuse (below); another case or form is
          // looked for here.
          if (same.beyondExact) {
            const [taken] = await tx
              .select({ address: contactIdentities.address })
              .from(contactIdentities)
              .where(
                and(
                  eq(contactIdentities.channelId, channel.id),
                  ne(contactIdentities.contactId, contact.id),
                  same.where,
                ),
              )
              .limit(1);
            const recipient = CHANNEL_CAPABILITIES[channel.type].recipient;
            if (taken) {
              throw addressTaken(
                recipient === 'phone' && taken.address !== address ? taken.address : undefined,
              );
            }
          }
          const [identity] = await tx
            .insert(contactIdentities)
            .values({
              workspaceId: ctx.workspaceId,
              contactId: contact.id,
              channelId: channel.id,
              address,
              lastInboundAt,
            })
            .onConflictDoUpdate({
              target: [contactIdentities.contactId, contactIdentities.channelId],
              // The same address (in any case, or the number in its other form) keeps its window:
              // a time older than the stored one (a backfill) does not close the window a later
              // message opened, as inbound messages move it only forward, and an omitted one
              // keeps it (greatest() skips nulls). Another address has not written in: its
              // window is the one given, or none.
              set: {
                address,
                lastInboundAt: sql`case when ${same.where}
                  then greatest(${contactIdentities.lastInboundAt}, excluded.last_inbound_at)
                  else excluded.last_inbound_at end`,
              },
            })
            .returning();
          if (lastInboundAt) {
            // Writing in is an interaction: the channel may become the last interacted one.
            await tx
              .update(contacts)
              .set({ lastInteractedChannelId: channel.id, lastInteractedAt: lastInboundAt })
              .where(
                and(
                  eq(contacts.id, contact.id),
                  isMoreRecentInteraction(contacts.lastInteractedAt, lastInboundAt),
                ),
              );
          }
          return identity!;
        });
      } catch (error) {
        if (sqlState(error) === FOREIGN_KEY_VIOLATION) {
          throw (await deletedSinceChecked(ctx, contact.id, channel.id)) ?? error;
        }
        if (!isUniqueViolation(error, UNIQUE_ADDRESS)) throw error;
        throw addressTaken();
      }
    },
  }),
  deleteContactIdentity: t.id({
    description: 'Removes a contact identity and returns its id.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const [deleted] = isUuid(id)
        ? await ctx.db
            .delete(contactIdentities)
            .where(
              and(eq(contactIdentities.id, id), eq(contactIdentities.workspaceId, ctx.workspaceId)),
            )
            .returning({ id: contactIdentities.id })
        : [];
      if (!deleted) throw new NotFoundError('ContactIdentity', String(id));
      return deleted.id;
    },
  }),
  setLastInteractedChannel: t.drizzleField({
    type: 'contacts',
    description:
      'Sets (or, with a null channelId, clears) the channel the contact last interacted on, as an interaction happening now; a later inbound message or identity lastInboundAt replaces it.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { contactId: t.arg.id({ required: true }), channelId: t.arg.id() },
    resolve: async (_query, _root, args, ctx) => {
      const contact = await findContact(ctx, args.contactId);
      if (!contact) throw new NotFoundError('Contact', String(args.contactId));
      let channelId: string | null = null;
      if (args.channelId != null) {
        const channel = await findChannel(ctx, args.channelId);
        if (!channel) throw channelNotFound(args.channelId);
        channelId = channel.id;
      }
      const now = new Date();
      const [updated] = await ctx.db
        .update(contacts)
        .set({
          lastInteractedChannelId: channelId,
          // Setting it is an interaction now; clearing it forgets the last one.
          lastInteractedAt: channelId ? now : null,
          updatedAt: now,
        })
        .where(and(eq(contacts.id, contact.id), eq(contacts.workspaceId, ctx.workspaceId)))
        .returning()
        .catch(async (error: unknown) => {
          if (sqlState(error) !== FOREIGN_KEY_VIOLATION) throw error;
          throw (await deletedSinceChecked(ctx, contact.id, channelId)) ?? error;
        });
      if (!updated) throw new NotFoundError('Contact', contact.id);
      return updated;
    },
  }),
}));
