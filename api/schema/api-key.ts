import { and, eq, isNull } from 'drizzle-orm';
import { apiKeys } from '../../db/schema';
import { isUuid } from '../../workflow/ids';
import { issueApiKey } from '../api-keys';
import { builder } from '../builder';
import type { Scope } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { IssueList, requiredName } from '../validation';

const ApiKeyScopeEnum = builder.enumType('ApiKeyScope', {
  description: 'ADMIN reads and writes; READ (partners) only queries.',
  values: { ADMIN: { value: 'admin' }, READ: { value: 'read' } } as const,
});

/** An API key's metadata. The secret and its hash are never exposed. */
export const ApiKeyRef = builder.drizzleObject('apiKeys', {
  name: 'ApiKey',
  select: {
    columns: {
      id: true,
      name: true,
      prefix: true,
      scopes: true,
      createdAt: true,
      lastUsedAt: true,
      revokedAt: true,
    },
  },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', {
      description: 'The public part of the key: `sf_<prefix>_…`.',
    }),
    scopes: t.field({
      type: [ApiKeyScopeEnum],
      resolve: (key) =>
        key.scopes.filter((scope): scope is Scope => scope === 'admin' || scope === 'read'),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const CreatedApiKeyRef = builder
  .objectRef<{ apiKey: { id: string }; plaintext: string }>('CreatedApiKey')
  .implement({
    description: 'A new key. `key` is shown only here: store it now.',
    fields: (t) => ({
      key: t.exposeString('plaintext'),
      apiKey: t.drizzleField({
        type: 'apiKeys',
        resolve: async (query, created, _args, ctx) => {
          const row = await ctx.db.query.apiKeys.findFirst(
            query({ where: { id: created.apiKey.id, workspaceId: ctx.workspaceId } }),
          );
          if (!row) throw new NotFoundError('ApiKey', created.apiKey.id);
          return row;
        },
      }),
    }),
  });

builder.queryFields((t) => ({
  apiKeys: t.drizzleField({
    type: ['apiKeys'],
    description: "The workspace's API keys, newest first, revoked ones included.",
    authScopes: { admin: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.apiKeys.findMany(
        query({
          where: { workspaceId: ctx.workspaceId },
          orderBy: { createdAt: 'desc', id: 'desc' },
        }),
      ),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    errors: { types: [ValidationError] },
    args: {
      name: t.arg.string({ required: true }),
      scopes: t.arg({ type: [ApiKeyScopeEnum], required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const issues = new IssueList();
      const name = requiredName(issues, 'name', args.name);
      if (args.scopes.length === 0)
        issues.add('INVALID_VALUE', 'scopes', 'At least one scope is required');
      issues.throwIfAny();
      const created = await issueApiKey(ctx.db, {
        workspaceId: ctx.workspaceId,
        name,
        scopes: [...new Set(args.scopes)],
      });
      return { apiKey: { id: created.id }, plaintext: created.plaintext };
    },
  }),
  revokeApiKey: t.drizzleField({
    type: 'apiKeys',
    description: 'Revokes a key at once; revoking an already revoked key changes nothing.',
    errors: { types: [NotFoundError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_query, _root, args, ctx) => {
      if (!isUuid(args.id)) throw new NotFoundError('ApiKey', String(args.id));
      const where = and(eq(apiKeys.id, String(args.id)), eq(apiKeys.workspaceId, ctx.workspaceId));
      const [revoked] = await ctx.db
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(where, isNull(apiKeys.revokedAt)))
        .returning();
      if (revoked) return revoked;
      const [existing] = await ctx.db.select().from(apiKeys).where(where);
      if (!existing) throw new NotFoundError('ApiKey', String(args.id));
      return existing;
    },
  }),
}));
