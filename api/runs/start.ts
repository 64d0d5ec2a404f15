import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { queryRows, uuidArrayParam } from '../../db/rows';
import { contacts } from '../../db/schema';
import {
  STARTED_RUN_COLUMNS,
  type StartedRunRow,
  startingRunsLock,
  startRunsCtes,
} from '../../db/start-runs';
import { log } from '../../edge/log';
import {
  enqueueRuns,
  entryDelaySeconds,
  publishQuietly,
  runStartedEvents,
} from '../../edge/pipeline';
import { isUuid } from '../../workflow/ids';
import { findStep } from '../../workflow/routing';
import type { GraphStep, WorkflowGraph } from '../../workflow/types';
import type { ApiContext } from '../context';
import { sqlState } from '../db-errors';
import { NotFoundError } from '../errors';
import { IssueList } from '../validation';
import { parseTriggerVariables } from './trigger-variables';

/** Most contacts one `startWorkflow` call may start (larger audiences: call it in pages). */
export const MAX_CONTACTS_PER_START = 10_000;

export interface StartWorkflowInput {
  workflowId: string;
  contactIds: readonly string[];
  variables?: unknown;
}

/** A workflow's published version and its entry step: what every start pins its runs to. */
export interface StartableVersion {
  workflowId: string;
  version: { id: string; graph: WorkflowGraph } | undefined;
  entry: GraphStep | undefined;
}

/**
 * Finds the caller's workflow (NotFoundError otherwise) and records an issue in `issues` when it
 * has no published version or that version has no entry step.
 */
export async function startableVersion(
  ctx: ApiContext,
  workflowId: string,
  issues: IssueList,
): Promise<StartableVersion> {
  const workflow = isUuid(workflowId)
    ? await ctx.db.query.workflows.findFirst({
        columns: { id: true },
        where: { id: workflowId, workspaceId: ctx.workspaceId },
        with: { publishedVersion: { columns: { id: true, graph: true } } },
      })
    : undefined;
  if (!workflow) throw new NotFoundError('Workflow', String(workflowId));
  const version = workflow.publishedVersion ?? undefined;
  const entry = version ? findStep(version.graph, version.graph.entryStepId) : undefined;
  if (!version) {
    issues.add('INVALID_VALUE', 'workflowId', 'The workflow has not been published yet');
  } else if (!entry) {
    issues.add('INVALID_VALUE', 'workflowId', 'The published version has no entry step');
  }
  return { workflowId: workflow.id, version, entry };
}

/**
 * Starts a published workflow for contacts of the caller's workspace: one run per contact,
 * pinned to the published version, at its entry step (visit 1), due now (or after the wait
 * when the entry step is a wait). Everything is checked first and nothing is written when
 * anything is wrong. The runs are committed BEFORE their messages are enqueued (ids only);
 * if enqueueing fails, the runs stay committed and the sweep enqueues them.
 */
export function startWorkflow(
  ctx: ApiContext,
  input: StartWorkflowInput,
): Promise<{ runIds: string[] }> {
  return startOnce(ctx, input, true);
}

/** SQLSTATE foreign_key_violation. */
const FOREIGN_KEY_VIOLATION = '23503';

async function startOnce(
  ctx: ApiContext,
  input: StartWorkflowInput,
  checkAgainIfDeleted: boolean,
): Promise<{ runIds: string[] }> {
  const issues = new IssueList();
  const { workflowId, version, entry } = await startableVersion(ctx, input.workflowId, issues);
  // Ids arrive lower-cased (api/id-args.ts), so one contact written in both cases is one start.
  const contactIds = [...new Set(input.contactIds)];
  if (contactIds.length === 0) {
    issues.add('INVALID_VALUE', 'contactIds', 'At least one contact is required');
  } else if (contactIds.length > MAX_CONTACTS_PER_START) {
    issues.add(
      'INVALID_VALUE',
      'contactIds',
      `At most ${MAX_CONTACTS_PER_START} contacts per call`,
    );
  }
  const variables = parseTriggerVariables(input.variables, issues);
  issues.throwIfAny();

  const wellFormed = contactIds.filter(isUuid);
  const known = new Set(
    wellFormed.length
      ? (
          await ctx.db
            .select({ id: contacts.id })
            .from(contacts)
            .where(
              and(
                eq(contacts.workspaceId, ctx.workspaceId),
                // One array parameter, not one per id (up to 10,000 to bind and plan).
                sql`${contacts.id} = any(${uuidArrayParam(wellFormed)})`,
              ),
            )
        ).map((row) => row.id)
      : [],
  );
  // Paths index the input as sent (duplicates included), each unknown id once, where it first is.
  const reported = new Set<string>();
  input.contactIds.forEach((id, index) => {
    if (!known.has(id) && !reported.has(id)) {
      reported.add(id);
      issues.add('INVALID_VALUE', `contactIds[${index}]`, `Contact ${id} was not found`);
    }
  });
  issues.throwIfAny();

  const dueInSeconds = entryDelaySeconds(entry!);
  // One statement for any number of contacts: the ids travel as one array parameter. It also
  // appends a `run.started` partner event per run (db/event-log.ts) and returns each one's
  // cursor, from which the events published are built.
  const start = {
    workspaceId: ctx.workspaceId,
    workflowId,
    versionId: version!.id,
    entryStepId: entry!.id,
    variables,
    dueInSeconds,
  };
  let created: StartedRunRow[];
  try {
    created = await ctx.db.transaction(async function startRuns(tx) {
      const db = tx as unknown as Database;
      // Shared with other starts; a deleteWorkflow under way is waited for (exit.ts).
      await db.execute(startingRunsLock(workflowId));
      return queryRows<StartedRunRow>(
        db,
        sql`with ${startRunsCtes(
          start,
          sql`unnest(${sql.param(contactIds)}::uuid[]) with ordinality as c(id, position)`,
        )}
          select ${STARTED_RUN_COLUMNS} from logged order by logged.cursor`,
      );
    });
  } catch (error) {
    // A contact (or the workflow) found above was deleted before the insert, which wrote
    // nothing: checking again reports it as if it had been deleted first.
    if (checkAgainIfDeleted && sqlState(error) === FOREIGN_KEY_VIOLATION) {
      return startOnce(ctx, input, false);
    }
    throw error;
  }
  const runIds = created.map((row) => row.id);
  await publishQuietly(ctx.events, runStartedEvents(start, created));
  const enqueued = await enqueueRuns(
    ctx.db,
    ctx.dispatch,
    runIds.map((runId) => ({ runId, visit: 1, delaySeconds: dueInSeconds })),
  );
  if (enqueued.error) {
    // The runs are committed either way: the sweep enqueues them within a few minutes.
    log('error', 'startWorkflow: enqueueing failed; the sweep will enqueue the runs', {
      workspaceId: ctx.workspaceId,
      workflowId,
      runs: runIds.length,
      error: enqueued.error,
    });
  }
  return { runIds };
}
