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
  /** Makes the call safe to retry: the same key and request answer with the same runs. */
  idempotencyKey?: string | null;
}

/** How long a start's idempotency key holds (start_requests). */
export const IDEMPOTENCY_KEY_HOURS = 24;
/** Longest idempotency key. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** Printable ASCII, as HTTP's Idempotency-Key header values are. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]+$/;

/**
 * The request a key stands for: the workflow, the contacts in the order given (duplicates
 * removed) and the variables, as SHA-256 hex. The same key sent with another request is refused.
 */
async function requestHash(workflowId: string, contactIds: string[], variables: unknown) {
  const bytes = new TextEncoder().encode(JSON.stringify([workflowId, contactIds, variables]));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
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
 * Whether `versionId` is still the workflow's published version (false too when the workflow is
 * gone), read by a start in its transaction once it holds the start locks (db/start-runs.ts),
 * before it pins anything to the version it read earlier. A version replaced in between has
 * stopped being current: a deleteFile or deleteSnippet that then took the lock exclusively
 * found it without runs and let go of what only it used (api/workflows/published-uses.ts), and
 * runs pinned to it now would send a file or snippet that is gone. Such a start reads the
 * version again.
 */
export async function stillPublished(
  db: Database,
  workflowId: string,
  versionId: string,
): Promise<boolean> {
  const rows = await queryRows(
    db,
    sql`select 1 from workflows where id = ${workflowId} and published_version_id = ${versionId}`,
  );
  return rows.length > 0;
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
  const key = input.idempotencyKey ?? null;
  if (key !== null && (key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !IDEMPOTENCY_KEY.test(key))) {
    issues.add(
      'INVALID_VALUE',
      'idempotencyKey',
      `1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, without spaces`,
    );
  }
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
  const hash = key === null ? null : await requestHash(workflowId, contactIds, variables);
  let created: StartedRunRow[];
  try {
    const outcome = await ctx.db.transaction(async function startRuns(tx) {
      const db = tx as unknown as Database;
      // Shared with other starts; a deleteWorkflow or deleteContact under way is waited for
      // (db/start-runs.ts).
      await db.execute(startingRunsLock(ctx.workspaceId, workflowId));
      if (!(await stillPublished(db, workflowId, version!.id))) {
        return { republished: true, earlier: null, created: [] };
      }
      if (key !== null && hash !== null) {
        const earlier = await claimIdempotencyKey(db, ctx.workspaceId, key, hash);
        if (earlier) return { republished: false, earlier, created: [] };
      }
      const rows = await queryRows<StartedRunRow>(
        db,
        sql`with ${startRunsCtes(
          start,
          sql`unnest(${sql.param(contactIds)}::uuid[]) with ordinality as c(id, position)`,
        )}
          select ${STARTED_RUN_COLUMNS} from logged order by logged.cursor`,
      );
      if (key !== null) {
        await db.execute(
          sql`update start_requests set run_ids = ${uuidArrayParam(rows.map((row) => row.id))}
              where workspace_id = ${ctx.workspaceId} and idempotency_key = ${key}`,
        );
      }
      return { republished: false, earlier: null, created: rows };
    });
    // Published again since it was read (nothing was written): the start begins again with the
    // version published now. Each round needs another publish to land in a start's few
    // milliseconds between reading the version and taking its locks.
    if (outcome.republished) return startOnce(ctx, input, checkAgainIfDeleted);
    if (outcome.earlier) {
      // The same call again (a retry): its runs, started, published and enqueued back then.
      if (outcome.earlier.request_hash !== hash) {
        issues.add(
          'INVALID_VALUE',
          'idempotencyKey',
          `This key started other runs in the last ${IDEMPOTENCY_KEY_HOURS} hours: use a new key for a new request`,
        );
        issues.throwIfAny();
      }
      return { runIds: outcome.earlier.run_ids };
    }
    created = outcome.created;
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

/**
 * Takes `key` for this request in the start's transaction, or finds who has it: a new key (or
 * one older than IDEMPOTENCY_KEY_HOURS, taken afresh) is inserted and this call starts the runs;
 * a key a committed call holds comes back with that call's request hash and runs. A concurrent
 * call with the same key waits on the insert until the first commits (or rolls back, and then
 * this one takes it). Expired keys of the workspace are deleted on the way.
 */
async function claimIdempotencyKey(
  db: Database,
  workspaceId: string,
  key: string,
  hash: string,
): Promise<{ request_hash: string; run_ids: string[] } | null> {
  const expired = sql`now() - ${IDEMPOTENCY_KEY_HOURS} * interval '1 hour'`;
  await db.execute(
    sql`delete from start_requests
        where created_at < ${expired} and workspace_id = ${workspaceId} and idempotency_key <> ${key}`,
  );
  const [taken] = await queryRows<{ taken: boolean }>(
    db,
    sql`insert into start_requests as s (workspace_id, idempotency_key, request_hash, run_ids)
        values (${workspaceId}, ${key}, ${hash}, '{}')
        on conflict (workspace_id, idempotency_key) do update
          set request_hash = excluded.request_hash, run_ids = '{}', created_at = now()
          where s.created_at < ${expired}
        returning true as taken`,
  );
  if (taken) return null;
  const [earlier] = await queryRows<{ request_hash: string; run_ids: string[] }>(
    db,
    sql`select request_hash, run_ids from start_requests
        where workspace_id = ${workspaceId} and idempotency_key = ${key}`,
  );
  return earlier ?? null;
}
