import type { steps } from '../../db/schema';
import type { GraphStep, StepConfig, WorkflowGraph } from '../../workflow/types';

/** The columns of a draft step that make up its part of the graph. */
export type DraftStepRow = Pick<
  typeof steps.$inferSelect,
  'id' | 'type' | 'name' | 'config' | 'nextStepId' | 'failureStepId'
>;

/** The order draft steps are frozen in: editor position, then creation. */
export const DRAFT_STEP_ORDER = { position: 'asc', createdAt: 'asc', id: 'asc' } as const;

/** A draft step as it is frozen into a version. */
export function toGraphStep(row: DraftStepRow): GraphStep {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    config: row.config as unknown as StepConfig,
    nextStepId: row.nextStepId,
    failureStepId: row.failureStepId,
  };
}

/** The draft's graph. Without an entry step it is '', which validateGraph reports. */
export function draftGraph(entryStepId: string | null, rows: DraftStepRow[]): WorkflowGraph {
  return { entryStepId: entryStepId ?? '', steps: rows.map(toGraphStep) };
}

// JSON values compared by content: jsonb does not keep object key order.
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aEntries = Object.entries(a).filter(([, value]) => value !== undefined);
  const bEntries = Object.entries(b).filter(([, value]) => value !== undefined);
  if (aEntries.length !== bEntries.length) return false;
  const bMap = new Map(bEntries);
  return aEntries.every(([key, value]) => bMap.has(key) && sameJson(value, bMap.get(key)));
}

/**
 * Whether two graphs describe the same workflow: the same entry and the same steps (compared
 * by id, so their order does not matter) with the same names, configs and edges.
 */
export function sameGraph(a: WorkflowGraph, b: WorkflowGraph): boolean {
  if (a.entryStepId !== b.entryStepId || a.steps.length !== b.steps.length) return false;
  const byId = new Map(b.steps.map((step) => [step.id, step]));
  return a.steps.every((step) => sameJson(step, byId.get(step.id)));
}
