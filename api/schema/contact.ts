import { and, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import { contacts } from '../../db/schema';
import { contactRunsLockKey } from '../../db/start-runs';
import { E164_FORMAT } from '../../workflow/contact-fields';
import { isUuid } from '../../workflow/ids';
import { builder } from '../builder';
import { parseContactFields } from '../contact-input';
import { NotFoundError, ValidationError } from '../errors';
import { API_EXIT_REASONS, deleteEndingRuns } from '../runs/exit';
import { IssueList } from '../validation';
import {
  CREATION_CURSOR,
  checkConnectionArgs,
  creationOrder,
  likePattern,
  settleCursorBounds,
} from './pagination';

/** A person messages are sent to. */
export const ContactRef = builder.drizzleObject('contacts', {
  name: 'Contact',
  fields: (t) => ({
    id: t.exposeID('id'),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    phone: t.exposeString('phone', { nullable: true, description: 'E.164' }),
    country: t.exposeString('country', { nullable: true, description: 'ISO 3166-1 alpha-2' }),
    language: t.exposeString('language', { nullable: true, description: 'BCP 47' }),
    customFields: t.expose('customFields', {
      type: 'JSON',
      description: 'An object of string values, used in messages as `$contact.<key>`.',
    }),
    identities: t.relation('identities', {
      description: "The contact's addresses on channels.",
      query: { orderBy: { createdAt: 'asc', id: 'asc' } },
    }),
    lastInteractedChannel: t.relation('lastInteractedChannel', {
      nullable: true,
      description: 'Used by "Last Interacted Channel" sends.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ContactFilter = builder.inputType('ContactFilter', {
  fields: (t) => ({
    search: t.string({ description: 'Case-insensitive match on first/last name, email or phone.' }),
    email: t.string({ description: 'Exact email, ignoring case.' }),
    hasChannel: t.id({ description: 'Only contacts with an identity on this channel.' }),
  }),
});

interface ContactFilterValue {
  search?: string | null;
  email?: string | null;
  hasChannel?: string | number | null;
}

/**
 * The list filter as SQL over `table`, which is the contacts table or the alias Drizzle's
 * relational queries use for it; one definition serves both the page and its totalCount.
 */
function contactFilter(
  table: typeof contacts,
  workspaceId: string,
  filter?: ContactFilterValue | null,
): SQL {
  const search = filter?.search?.trim();
  const email = filter?.email?.trim();
  const channelId = filter?.hasChannel == null ? null : String(filter.hasChannel);
  return and(
    eq(table.workspaceId, workspaceId),
    search
      ? or(
          ilike(table.firstName, likePattern(search)),
          ilike(table.lastName, likePattern(search)),
          ilike(sql`concat_ws(' ', ${table.firstName}, ${table.lastName})`, likePattern(search)),
          ilike(table.email, likePattern(search)),
          ilike(table.phone, likePattern(search)),
        )
      : undefined,
    email ? sql`lower(${table.email}) = lower(${email})` : undefined,
    // A malformed channel id matches no identity rather than failing the cast.
    channelId !== null
      ? isUuid(channelId)
        ? sql`exists (select 1 from contact_identities ci where ci.contact_id = ${table.id} and ci.channel_id = ${channelId})`
        : sql`false`
      : undefined,
  )!;
}

const ContactInput = builder.inputType('ContactInput', {
  description:
    'On update, omitted fields stay as they are and null clears one; customFields is replaced whole.',
  fields: (t) => ({
    firstName: t.string(),
    lastName: t.string(),
    email: t.string(),
    phone: t.string({ description: E164_FORMAT }),
    country: t.string({ description: 'ISO 3166-1 alpha-2, e.g. FR' }),
    language: t.string({ description: 'BCP 47, e.g. pt-BR' }),
    customFields: t.field({ type: 'JSON', description: 'An object of string values.' }),
  }),
});

builder.queryFields((t) => ({
  contacts: t.drizzleConnection(
    {
      type: 'contacts',
      description: "The workspace's contacts, oldest first.",
      args: { filter: t.arg({ type: ContactFilter }) },
      totalCount: (_root, args, ctx) =>
        ctx.db.$count(contacts, contactFilter(contacts, ctx.workspaceId, args.filter)),
      resolve: async (query, _root, args, ctx) => {
        checkConnectionArgs(args, CREATION_CURSOR);
        const [rows] = await Promise.all([
          ctx.db.query.contacts.findMany(
            query({
              where: { RAW: (table) => contactFilter(table, ctx.workspaceId, args.filter) },
              ...creationOrder(),
            }),
          ),
          settleCursorBounds(
            ctx.db,
            args,
            contacts,
            contactFilter(contacts, ctx.workspaceId, args.filter),
            'asc',
          ),
        ]);
        return rows;
      },
    },
    { name: 'ContactConnection' },
    { name: 'ContactEdge' },
  ),
  contact: t.drizzleField({
    type: 'contacts',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id)
        ? ctx.db.query.contacts.findFirst(
            query({ where: { id: args.id, workspaceId: ctx.workspaceId } }),
          )
        : null,
  }),
}));

builder.mutationFields((t) => ({
  createContact: t.drizzleField({
    type: 'contacts',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: ContactInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const issues = new IssueList();
      const values = parseContactFields(input, issues);
      issues.throwIfAny();
      const [contact] = await ctx.db
        .insert(contacts)
        .values({ ...values, workspaceId: ctx.workspaceId })
        .returning();
      return contact!;
    },
  }),
  updateContact: t.drizzleField({
    type: 'contacts',
    errors: { types: [ValidationError, NotFoundError] },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: ContactInput, required: true }),
    },
    resolve: async (_query, _root, { id, input }, ctx) => {
      if (!isUuid(id)) throw new NotFoundError('Contact', String(id));
      const issues = new IssueList();
      const values = parseContactFields(input, issues);
      issues.throwIfAny();
      const [contact] = await ctx.db
        .update(contacts)
        .set({ ...values, updatedAt: new Date() })
        .where(and(eq(contacts.id, id), eq(contacts.workspaceId, ctx.workspaceId)))
        .returning();
      if (!contact) throw new NotFoundError('Contact', id);
      return contact;
    },
  }),
  deleteContact: t.id({
    description:
      'Deletes the contact with its identities and runs (its active runs log `run.exited` with ' +
      '`exitReason: "contact_deleted"` first); returns the deleted id.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      if (!isUuid(id)) throw new NotFoundError('Contact', String(id));
      const deleted = await deleteEndingRuns(
        ctx,
        sql`contact_id = ${id}`,
        API_EXIT_REASONS.contactDeleted,
        async (db) =>
          (
            await db
              .delete(contacts)
              .where(and(eq(contacts.id, id), eq(contacts.workspaceId, ctx.workspaceId)))
              .returning({ id: contacts.id })
          )[0],
        // Runs a start is inserting commit first and are ended with the rest (db/start-runs.ts).
        (db) =>
          db.execute(sql`select pg_advisory_xact_lock(${contactRunsLockKey(ctx.workspaceId)})`),
      );
      if (!deleted) throw new NotFoundError('Contact', String(id));
      return deleted.id;
    },
  }),
}));
