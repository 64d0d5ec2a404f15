import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { steps, workflows } from '../../db/schema';
import { displayNameProblem } from '../../workflow/display-name';
import { isUuid } from '../../workflow/ids';
import type { SendMessageConfig, StepConfig, StepType, WaitConfig } from '../../workflow/types';
import {
  validateFailureBranch,
  validateSendMessageConfig,
  validateWaitConfig,
} from '../../workflow/validate-step';
import type { ValidationIssue } from '../../workflow/validation-issue';
import { NotFoundError, ValidationError } from '../errors';
import { loadStepLookups } from './lookups';

/**
 * Writes to a workflow's draft steps. Every write runs in one transaction that first locks the
 * workflow row, so that writes to one workflow (and publishing it) take turns, and validates
 * against what is committed: a rejected write throws a ValidationError and changes nothing.
 */

export type StepRow = typeof steps.$inferSelect;
export type WorkflowRow = typeof workflows.$inferSelect;
type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

const MAX_STEP_NAME_LENGTH = 200;
/**
 * Highest editor position a client may give. Steps appended without one go one past the last,
 * so positions stay far from the end of Postgres's `integer` (2,147,483,647), where appending
 * after a step placed there would fail.
 */
export const MAX_STEP_POSITION = 1_000_000;

/**
 * Most steps one workflow may have. Every version freezes the whole graph into one row, which
 * dispatch loads (and keeps, for up to 50 versions per isolate) to send any one step, and the
 * editor's listing loads every step: without a bound, only the request count limited them.
 */
export const MAX_WORKFLOW_STEPS = 500;

/** What a step is made of; absent fields of an update keep their stored value. */
export interface StepFields {
  name?: string | null;
  config?: StepConfig;
  nextStepId?: string | null;
  failureStepId?: string | null;
  position?: number | null;
}

/** A step to add: its type and config are required. */
export interface NewStep extends StepFields {
  workflowId: string;
  type: StepType;
  config: StepConfig;
}

/** The workflow, locked until the transaction ends; NotFoundError outside the workspace. */
export async function lockWorkflow(
  tx: Transaction,
  workspaceId: string,
  workflowId: string,
): Promise<WorkflowRow> {
  if (!isUuid(workflowId)) throw new NotFoundError('Workflow', workflowId);
  const [workflow] = await tx
    .select()
    .from(workflows)
    .where(and(eq(workflows.id, workflowId), eq(workflows.workspaceId, workspaceId)))
    .for('update');
  if (!workflow) throw new NotFoundError('Workflow', workflowId);
  return workflow;
}

/** The step with its workflow locked; NotFoundError outside the workspace. */
async function lockStep(tx: Transaction, workspaceId: string, stepId: string) {
  if (!isUuid(stepId)) throw new NotFoundError('Step', stepId);
  const where = and(eq(steps.id, stepId), eq(steps.workspaceId, workspaceId));
  const [found] = await tx.select({ workflowId: steps.workflowId }).from(steps).where(where);
  if (!found) throw new NotFoundError('Step', stepId);
  const workflow = await lockWorkflow(tx, workspaceId, found.workflowId);
  // Read again under the lock: the step may have changed (or gone) while we waited for it.
  const [step] = await tx.select().from(steps).where(where);
  if (!step) throw new NotFoundError('Step', stepId);
  return { step, workflow };
}

async function workflowSteps(tx: Transaction, workflowId: string) {
  return tx
    .select({ id: steps.id, position: steps.position })
    .from(steps)
    .where(eq(steps.workflowId, workflowId))
    .orderBy(asc(steps.position));
}

/** Records a change to the draft (see `Workflow.hasUnpublishedChanges`). */
function touchWorkflow(tx: Transaction, workflowId: string, changes: Partial<WorkflowRow> = {}) {
  // clock_timestamp(): the time of this write, not of the transaction's start, so that an edit
  // that waited for a publish to finish is still seen as newer than that publish.
  return tx
    .update(workflows)
    .set({ ...changes, updatedAt: sql`clock_timestamp()` })
    .where(eq(workflows.id, workflowId))
    .returning();
}

function prefixed(prefix: string, issues: ValidationIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({ ...issue, path: `${prefix}${issue.path}` }));
}

interface StepCheck {
  workspaceId: string;
  stepId: string;
  type: StepType;
  step: Required<Omit<StepFields, 'position'>> & { config: StepConfig };
  workflowStepIds: ReadonlySet<string>;
  /** Which parts the write sets: only those are checked, so old steps stay editable. */
  changed: { config: boolean; failureStepId: boolean; nextStepId: boolean };
}

async function stepIssues(tx: Transaction, check: StepCheck): Promise<ValidationIssue[]> {
  const { step, changed, workflowStepIds } = check;
  const issues: ValidationIssue[] = [];
  if (check.type === 'send_message') {
    const config = step.config as SendMessageConfig;
    if (changed.config) {
      const lookups = await loadStepLookups(tx, check.workspaceId, [config]);
      issues.push(...prefixed('config.', validateSendMessageConfig(config, lookups)));
    }
    if (changed.config || changed.failureStepId) {
      issues.push(
        ...validateFailureBranch({
          failureBranchEnabled: config.failureBranchEnabled,
          failureStepId: step.failureStepId,
          stepId: check.stepId,
          workflowStepIds,
        }),
      );
    }
  } else if (changed.config) {
    issues.push(...validateWaitConfig(step.config as WaitConfig));
  }
  if (changed.nextStepId && step.nextStepId !== null && !workflowStepIds.has(step.nextStepId)) {
    const message = `Step ${step.nextStepId} is not a step of this workflow`;
    issues.push({ code: 'STEP_NOT_IN_WORKFLOW', path: 'nextStepId', message });
  }
  return issues;
}

/** A position given by the client: a whole number from 0 to MAX_STEP_POSITION. */
function positionIssues(position: number | null | undefined): ValidationIssue[] {
  if (position === null || position === undefined) return [];
  if (Number.isInteger(position) && position >= 0 && position <= MAX_STEP_POSITION) return [];
  const message = `Position must be a whole number from 0 to ${MAX_STEP_POSITION}`;
  return [{ code: 'INVALID_VALUE', path: 'position', message }];
}

/** A step name as sent (null clears it): one line without control characters, not too long. */
function nameIssues(name: string | null | undefined): ValidationIssue[] {
  if (name === null || name === undefined) return [];
  const problem = displayNameProblem(name);
  const message =
    problem ??
    (name.trim().length > MAX_STEP_NAME_LENGTH
      ? `Must be at most ${MAX_STEP_NAME_LENGTH} characters`
      : null);
  return message ? [{ code: 'INVALID_VALUE', path: 'name', message }] : [];
}

function cleanName(name: string | null | undefined): string | null {
  const trimmed = name?.trim();
  return trimmed ? trimmed : null;
}

/**
 * Adds a step to a workflow's draft, at the end unless a position is given. The first step
 * added to a workflow without an entry step becomes its entry. A workflow that has
 * MAX_WORKFLOW_STEPS steps already takes no more (INVALID_VALUE at `workflowId`).
 */
export function addStep(db: Database, workspaceId: string, input: NewStep): Promise<StepRow> {
  return db.transaction(async (tx) => {
    const workflow = await lockWorkflow(tx, workspaceId, input.workflowId);
    const existing = await workflowSteps(tx, workflow.id);
    if (existing.length >= MAX_WORKFLOW_STEPS) {
      const message = `A workflow has at most ${MAX_WORKFLOW_STEPS} steps: delete one first`;
      throw new ValidationError([{ code: 'INVALID_VALUE', path: 'workflowId', message }]);
    }
    const stepId = crypto.randomUUID();
    const step = {
      name: cleanName(input.name),
      config: input.config,
      nextStepId: input.nextStepId ?? null,
      failureStepId: input.type === 'send_message' ? (input.failureStepId ?? null) : null,
    };
    const all = { config: true, failureStepId: true, nextStepId: true };
    const issues = await stepIssues(tx, {
      workspaceId,
      stepId,
      type: input.type,
      step,
      workflowStepIds: new Set(existing.map((row) => row.id)),
      changed: all,
    });
    issues.push(...nameIssues(input.name), ...positionIssues(input.position));
    if (issues.length > 0) throw new ValidationError(issues);
    const last = existing.at(-1)?.position ?? -1;
    const [row] = await tx
      .insert(steps)
      .values({
        ...step,
        id: stepId,
        workspaceId,
        workflowId: workflow.id,
        type: input.type,
        config: step.config as unknown as Record<string, unknown>,
        position: input.position ?? last + 1,
      })
      .returning();
    await touchWorkflow(tx, workflow.id, { entryStepId: workflow.entryStepId ?? stepId });
    return row!;
  });
}

/**
 * Changes a step; fields left undefined keep their value. `type`, when given, is the type the
 * caller expects (updating a Wait step's config as a message is rejected).
 */
export function updateStep(
  db: Database,
  workspaceId: string,
  stepId: string,
  type: StepType | null,
  changes: StepFields,
): Promise<StepRow> {
  return db.transaction(async (tx) => {
    const { step: current, workflow } = await lockStep(tx, workspaceId, stepId);
    if (type !== null && current.type !== type) {
      const message = `Step ${stepId} is a ${current.type} step, not a ${type} step`;
      throw new ValidationError([{ code: 'INVALID_VALUE', path: 'stepId', message }]);
    }
    const existing = await workflowSteps(tx, workflow.id);
    const step = {
      name: changes.name === undefined ? current.name : cleanName(changes.name),
      config: changes.config ?? (current.config as unknown as StepConfig),
      nextStepId: changes.nextStepId === undefined ? current.nextStepId : changes.nextStepId,
      failureStepId:
        changes.failureStepId === undefined ? current.failureStepId : changes.failureStepId,
    };
    const issues = await stepIssues(tx, {
      workspaceId,
      stepId,
      type: current.type,
      step,
      workflowStepIds: new Set(existing.map((row) => row.id)),
      changed: {
        config: changes.config !== undefined,
        failureStepId: changes.failureStepId !== undefined,
        nextStepId: changes.nextStepId !== undefined,
      },
    });
    issues.push(...nameIssues(changes.name), ...positionIssues(changes.position));
    if (issues.length > 0) throw new ValidationError(issues);
    const [row] = await tx
      .update(steps)
      .set({
        ...step,
        config: step.config as unknown as Record<string, unknown>,
        position: changes.position ?? current.position,
        updatedAt: sql`clock_timestamp()`,
      })
      .where(eq(steps.id, current.id))
      .returning();
    await touchWorkflow(tx, workflow.id);
    return row!;
  });
}

/**
 * Deletes a step. Steps that led to it lose that edge (the foreign keys set it null); when it
 * was the entry step, its next step becomes the entry. Returns the workflow.
 */
export function deleteStep(db: Database, workspaceId: string, stepId: string) {
  return db.transaction(async (tx) => {
    const { step, workflow } = await lockStep(tx, workspaceId, stepId);
    const entryStepId = workflow.entryStepId === step.id ? step.nextStepId : workflow.entryStepId;
    await tx.delete(steps).where(eq(steps.id, step.id));
    const [updated] = await touchWorkflow(tx, workflow.id, {
      // A step that led to itself leaves no entry behind.
      entryStepId: entryStepId === step.id ? null : entryStepId,
    });
    return updated!;
  });
}

/** Makes `stepId` the step a run starts at; it must be a step of the workflow. */
export function setEntryStep(
  db: Database,
  workspaceId: string,
  workflowId: string,
  stepId: string,
): Promise<WorkflowRow> {
  return db.transaction(async (tx) => {
    const workflow = await lockWorkflow(tx, workspaceId, workflowId);
    const existing = await workflowSteps(tx, workflow.id);
    if (!existing.some((row) => row.id === stepId)) {
      const message = `Step ${stepId} is not a step of this workflow`;
      throw new ValidationError([{ code: 'STEP_NOT_IN_WORKFLOW', path: 'stepId', message }]);
    }
    const [updated] = await touchWorkflow(tx, workflow.id, { entryStepId: stepId });
    return updated!;
  });
}
