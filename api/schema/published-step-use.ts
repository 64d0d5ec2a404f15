import { builder } from '../builder';
import type { PublishedStepUse } from '../workflows/published-uses';

/**
 * A GraphQL type for published steps that use something of the library (FileUse, SnippetUse):
 * the same fields, under each error's own type name.
 */
export function publishedStepUseRef(name: string, description: string) {
  return builder.objectRef<PublishedStepUse>(name).implement({
    description,
    fields: (t) => ({
      workflowId: t.exposeID('workflowId'),
      workflowName: t.exposeString('workflowName'),
      stepId: t.exposeID('stepId'),
      stepName: t.exposeString('stepName', { nullable: true }),
    }),
  });
}
