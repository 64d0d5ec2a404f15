import type { Database } from '../../db/client';
import { stepReferences } from '../../workflow/step-references';
import { builder } from '../builder';
import {
  namedSteps,
  type PublishedStepUse,
  publishedStepsUsing,
} from '../workflows/published-uses';
import { ErrorInterface } from './error';
import { publishedStepUseRef } from './published-step-use';

/** A published step whose texts use a snippet (`$snippet.<name>`). */
export type SnippetUse = PublishedStepUse;

/**
 * The steps of the workspace's published workflow versions whose texts use the snippet `name`,
 * in the versions that still send (api/workflows/published-uses.ts): those runs expand the
 * snippet by name when they send (a deleted or renamed snippet would go out as the literal
 * `$snippet.<name>`).
 */
export function publishedStepsUsingSnippet(
  db: Pick<Database, 'select' | 'execute'>,
  workspaceId: string,
  name: string,
): Promise<SnippetUse[]> {
  return publishedStepsUsing(db, workspaceId, `$snippet.${name}`, (config) =>
    stepReferences(config).snippetNames.includes(name),
  );
}

/**
 * Published steps use this snippet by its name, so it can be neither deleted nor renamed (their
 * messages would go out with the literal `$snippet.<name>`); nothing was changed.
 */
export class SnippetInUseError extends Error {
  constructor(
    readonly snippetId: string,
    readonly steps: SnippetUse[],
  ) {
    super(`The snippet is used by published steps: ${namedSteps(steps)}`);
    this.name = 'SnippetInUseError';
  }
}

const SnippetUseRef = publishedStepUseRef(
  'SnippetUse',
  'A published step whose texts use a snippet.',
);

builder.objectType(SnippetInUseError, {
  name: 'SnippetInUseError',
  description:
    'Published steps use this snippet by its name, so it cannot be deleted or renamed; nothing ' +
    'was changed. Publish the workflows without it first.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    snippetId: t.exposeID('snippetId'),
    steps: t.field({ type: [SnippetUseRef], resolve: (error) => error.steps }),
  }),
});
