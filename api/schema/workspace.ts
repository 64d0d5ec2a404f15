import { eq } from 'drizzle-orm';
import { workspaces } from '../../db/schema';
import { canonicalTimezone } from '../../workflow/system-time';
import { builder } from '../builder';
import { ValidationError } from '../errors';
import { IssueList, requiredName } from '../validation';

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

const UpdateWorkspaceInput = builder.inputType('UpdateWorkspaceInput', {
  fields: (t) => ({
    name: t.string(),
    timezone: t.string({
      description:
        'An IANA zone name such as `Europe/Paris` (one differing only in letter case is stored as the zone spells it).',
    }),
  }),
});

builder.mutationFields((t) => ({
  updateWorkspace: t.drizzleField({
    type: 'workspaces',
    description: 'Renames the workspace or changes its timezone; omitted fields stay as they are.',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: UpdateWorkspaceInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const issues = new IssueList();
      const changes: { name?: string; timezone?: string } = {};
      if (input.name != null) changes.name = requiredName(issues, 'name', input.name);
      if (input.timezone != null) {
        const timezone = canonicalTimezone(input.timezone);
        if (timezone === null) {
          issues.add('INVALID_VALUE', 'timezone', `Unknown IANA timezone "${input.timezone}"`);
        } else {
          // As the zone spells it: other systems read zone names case-sensitively.
          changes.timezone = timezone;
        }
      }
      issues.throwIfAny();
      const [workspace] = Object.keys(changes).length
        ? await ctx.db
            .update(workspaces)
            .set(changes)
            .where(eq(workspaces.id, ctx.workspaceId))
            .returning()
        : await ctx.db.select().from(workspaces).where(eq(workspaces.id, ctx.workspaceId));
      if (!workspace) throw new Error(`Workspace ${ctx.workspaceId} is missing`);
      return workspace;
    },
  }),
}));
