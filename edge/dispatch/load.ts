import { inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { contacts, runs, workflowVersions, workspaces } from '../../db/schema';
import type { IdentityRef } from '../../workflow/resolve';
import type { WorkflowGraph } from '../../workflow/types';

/** A contact as the dispatch pipeline renders and resolves it. */
export type DispatchContact = typeof contacts.$inferSelect;

/** Everything about one run that deciding its next move needs, loaded for a whole batch. */
export interface RunState {
  id: string;
  workspaceId: string;
  workflowId: string;
  versionId: string;
  status: 'active' | 'completed' | 'exited';
  currentStepId: string | null;
  stepVisit: number;
  dueAt: Date;
  triggerVariables: Record<string, string>;
  graph: WorkflowGraph;
  /** The workspace's IANA zone, for `$system.*` variables. */
  timezone: string;
  contact: DispatchContact;
  identities: IdentityRef[];
}

interface IdentityJson {
  channelId: string;
  address: string;
  lastInboundAt: string | null;
}

/**
 * Loads the runs named by a batch with their pinned graph, contact, the contact's identities and
 * the workspace timezone: one query, whatever the batch size. Runs that no longer exist are
 * simply absent from the map.
 */
export async function loadRuns(
  db: Database,
  runIds: readonly string[],
): Promise<Map<string, RunState>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .select({
      run: runs,
      graph: workflowVersions.graph,
      timezone: workspaces.timezone,
      contact: contacts,
      identities: sql<IdentityJson[]>`coalesce((
        select json_agg(json_build_object(
          'channelId', i.channel_id, 'address', i.address, 'lastInboundAt', i.last_inbound_at))
        from contact_identities i where i.contact_id = ${runs.contactId}), '[]'::json)`,
    })
    .from(runs)
    .innerJoin(workflowVersions, sql`${workflowVersions.id} = ${runs.versionId}`)
    .innerJoin(workspaces, sql`${workspaces.id} = ${runs.workspaceId}`)
    .innerJoin(contacts, sql`${contacts.id} = ${runs.contactId}`)
    .where(inArray(runs.id, [...runIds]));
  const states = new Map<string, RunState>();
  for (const { run, graph, timezone, contact, identities } of rows) {
    states.set(run.id, {
      id: run.id,
      workspaceId: run.workspaceId,
      workflowId: run.workflowId,
      versionId: run.versionId,
      status: run.status,
      currentStepId: run.currentStepId,
      stepVisit: run.stepVisit,
      dueAt: run.dueAt,
      triggerVariables: run.triggerVariables,
      graph,
      timezone,
      contact,
      identities: identities.map((identity) => ({
        channelId: identity.channelId,
        address: identity.address,
        lastInboundAt: identity.lastInboundAt ? new Date(identity.lastInboundAt) : null,
      })),
    });
  }
  return states;
}

/**
 * True when a message is for the step its run is at now: the run exists, is active, and is
 * still on the visit the message was sent for. Anything else is a stale message to drop.
 */
export function isCurrentRun(
  run: RunState | undefined,
  message: { visit: number },
): run is RunState {
  return run !== undefined && run.status === 'active' && run.stepVisit === message.visit;
}
