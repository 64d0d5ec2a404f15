import { builder } from '../builder';

/** The caller's workspace: every key belongs to exactly one. */
export const WorkspaceRef = builder.drizzleObject('workspaces', {
  name: 'Workspace',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    timezone: t.exposeString('timezone', {
      description: 'IANA zone used for `$system.current_*` variables.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  workspace: t.drizzleField({
    type: 'workspaces',
    description: "The API key's workspace.",
    resolve: async (query, _root, _args, ctx) => {
      const workspace = await ctx.db.query.workspaces.findFirst(
        query({ where: { id: ctx.workspaceId } }),
      );
      // The key was just authenticated against this workspace, so it exists.
      if (!workspace) throw new Error(`Workspace ${ctx.workspaceId} is missing`);
      return workspace;
    },
  }),
}));
