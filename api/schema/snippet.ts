import { and, eq, ilike, type SQL } from 'drizzle-orm';
import { snippets } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import { findSnippetNames } from '../../workflow/snippets';
import { textLength } from '../../workflow/text-length';
import { MAX_TEXT_LENGTH } from '../../workflow/types';
import { builder } from '../builder';
import type { ApiContext } from '../context';
import { isUniqueViolation } from '../db-errors';
import { NotFoundError, ValidationError } from '../errors';
import { IssueList } from '../validation';
import {
  CREATION_CURSOR,
  checkConnectionArgs,
  creationOrder,
  likePattern,
  settleCursorBounds,
} from './pagination';
import { publishedStepsUsingSnippet, SnippetInUseError } from './snippet-usage';

/** Snippet names are used in text as `$snippet.<name>`, so they keep to a token's alphabet. */
const SNIPPET_NAME = /^[a-z0-9_]+$/;
const MAX_SNIPPET_NAME_LENGTH = 64;
const UNIQUE_NAME = 'snippets_workspace_name_uq';

/** A reusable saved text, referenced from messages as `$snippet.<name>`. */
export const SnippetRef = builder.drizzleObject('snippets', {
  name: 'Snippet',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'Referenced in text as `$snippet.<name>`.' }),
    body: t.exposeString('body'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const SnippetFilter = builder.inputType('SnippetFilter', {
  fields: (t) => ({ search: t.string({ description: 'Case-insensitive match on the name.' }) }),
});

const CreateSnippetInput = builder.inputType('CreateSnippetInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Lowercase letters, digits and `_`.' }),
    body: t.string({ required: true, description: `At most ${MAX_TEXT_LENGTH} characters.` }),
  }),
});

const UpdateSnippetInput = builder.inputType('UpdateSnippetInput', {
  fields: (t) => ({ name: t.string(), body: t.string() }),
});

function checkName(issues: IssueList, name: string): void {
  if (!SNIPPET_NAME.test(name) || name.length > MAX_SNIPPET_NAME_LENGTH) {
    issues.add(
      'INVALID_VALUE',
      'name',
      `Use 1–${MAX_SNIPPET_NAME_LENGTH} lowercase letters, digits or underscores`,
    );
  }
}

/** Counted as message texts are (workflow/text-length.ts): an emoji is one character. */
function checkBody(issues: IssueList, body: string): void {
  if (!body.trim()) {
    issues.add('TEXT_EMPTY', 'body', 'The snippet body is empty');
    return;
  }
  const length = textLength(body);
  if (length > MAX_TEXT_LENGTH) {
    issues.add('TEXT_TOO_LONG', 'body', `At most ${MAX_TEXT_LENGTH} characters (got ${length})`);
  }
  // Snippets are expanded one level (workflow/snippets.ts): a reference in a body would be sent
  // as written, and no step check could see it.
  const nested = findSnippetNames(body);
  if (nested.length > 0) {
    issues.add(
      'INVALID_VALUE',
      'body',
      `A snippet cannot use another snippet ($snippet.${nested[0]}): it would be sent as written`,
    );
  }
}

function duplicateName(name: string): ValidationError {
  return new ValidationError([
    { code: 'INVALID_VALUE', path: 'name', message: `A snippet named "${name}" already exists` },
  ]);
}

function searchSql(
  table: typeof snippets,
  ctx: ApiContext,
  search: string | null | undefined,
): SQL {
  return and(
    eq(table.workspaceId, ctx.workspaceId),
    search ? ilike(table.name, likePattern(search)) : undefined,
  )!;
}

builder.queryFields((t) => ({
  snippets: t.drizzleConnection(
    {
      type: 'snippets',
      description: "The workspace's snippets, oldest first.",
      args: { filter: t.arg({ type: SnippetFilter }) },
      totalCount: (_root, args, ctx) =>
        ctx.db.$count(snippets, searchSql(snippets, ctx, args.filter?.search)),
      resolve: async (query, _root, args, ctx) => {
        checkConnectionArgs(args, CREATION_CURSOR);
        const [rows] = await Promise.all([
          ctx.db.query.snippets.findMany(
            query({
              where: { RAW: (table) => searchSql(table, ctx, args.filter?.search) },
              ...creationOrder(),
            }),
          ),
          settleCursorBounds(
            ctx.db,
            args,
            snippets,
            searchSql(snippets, ctx, args.filter?.search),
            'asc',
          ),
        ]);
        return rows;
      },
    },
    { name: 'SnippetConnection' },
    { name: 'SnippetEdge' },
  ),
  snippet: t.drizzleField({
    type: 'snippets',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id)
        ? ctx.db.query.snippets.findFirst(
            query({ where: { id: args.id, workspaceId: ctx.workspaceId } }),
          )
        : null,
  }),
}));

builder.mutationFields((t) => ({
  createSnippet: t.drizzleField({
    type: 'snippets',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateSnippetInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const issues = new IssueList();
      checkName(issues, input.name);
      checkBody(issues, input.body);
      issues.throwIfAny();
      try {
        const [snippet] = await ctx.db
          .insert(snippets)
          .values({ workspaceId: ctx.workspaceId, name: input.name, body: input.body })
          .returning();
        return snippet!;
      } catch (error) {
        if (isUniqueViolation(error, UNIQUE_NAME)) throw duplicateName(input.name);
        throw error;
      }
    },
  }),
  updateSnippet: t.drizzleField({
    type: 'snippets',
    description:
      'Renaming leaves draft `$snippet.<old name>` references unresolved until edited (UNKNOWN_SNIPPET ' +
      'when saved or published); a snippet that published steps use is not renamed ' +
      '(SnippetInUseError naming them).',
    errors: { types: [ValidationError, NotFoundError, SnippetInUseError] },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateSnippetInput, required: true }),
    },
    resolve: async (_query, _root, { id, input }, ctx) => {
      if (!isUuid(id)) throw new NotFoundError('Snippet', String(id));
      const issues = new IssueList();
      if (input.name != null) checkName(issues, input.name);
      if (input.body != null) checkBody(issues, input.body);
      issues.throwIfAny();
      try {
        return await ctx.db.transaction(async (tx) => {
          const where = and(eq(snippets.id, id), eq(snippets.workspaceId, ctx.workspaceId));
          // Locked first: a step save or publish that read this snippet holds it (FOR KEY
          // SHARE, api/workflows/lookups.ts) until it commits, so the check below sees the
          // version it froze.
          const [current] = await tx.select().from(snippets).where(where).for('update');
          if (!current) throw new NotFoundError('Snippet', id);
          if (input.name != null && input.name !== current.name) {
            const uses = await publishedStepsUsingSnippet(tx, ctx.workspaceId, current.name);
            if (uses.length > 0) throw new SnippetInUseError(current.id, uses);
          }
          const [snippet] = await tx
            .update(snippets)
            .set({
              ...(input.name != null ? { name: input.name } : {}),
              ...(input.body != null ? { body: input.body } : {}),
              updatedAt: new Date(),
            })
            .where(where)
            .returning();
          return snippet!;
        });
      } catch (error) {
        if (isUniqueViolation(error, UNIQUE_NAME)) throw duplicateName(input.name ?? '');
        throw error;
      }
    },
  }),
  deleteSnippet: t.id({
    description:
      'Deletes the snippet and returns its id. A snippet that published steps use is refused ' +
      'with SnippetInUseError naming them; draft steps that still use it fail validation ' +
      '(UNKNOWN_SNIPPET) on the next save or publish.',
    errors: { types: [NotFoundError, SnippetInUseError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      if (!isUuid(id)) throw new NotFoundError('Snippet', String(id));
      return ctx.db.transaction(async (tx) => {
        const where = and(eq(snippets.id, id), eq(snippets.workspaceId, ctx.workspaceId));
        // Locked first, as in updateSnippet: a publish that read it commits before the check.
        const [snippet] = await tx.select().from(snippets).where(where).for('update');
        if (!snippet) throw new NotFoundError('Snippet', id);
        const uses = await publishedStepsUsingSnippet(tx, ctx.workspaceId, snippet.name);
        if (uses.length > 0) throw new SnippetInUseError(snippet.id, uses);
        await tx.delete(snippets).where(where);
        return snippet.id;
      });
    },
  }),
}));
