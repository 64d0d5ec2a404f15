import { inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { uuidArrayParam } from '../../db/rows';
import { contacts, runs, workflowVersions, workspaces } from '../../db/schema';
import type { IdentityRef } from '../../workflow/resolve';
import type { WorkflowGraph } from '../../workflow/types';
import { deepFreeze, GraphCache } from './graph-cache';

/**
 * The columns of a contact that dispatch renders (`$contact.*` variables) and resolves channels
 * with: a batch loads 100 contacts, and each column is a field the driver decodes per row, so
 * bookkeeping columns (timestamps, the workspace) are left out.
 */
const dispatchContactColumns = {
  id: contacts.id,
  firstName: contacts.firstName,
  lastName: contacts.lastName,
  email: contacts.email,
  phone: contacts.phone,
  country: contacts.country,
  language: contacts.language,
  customFields: contacts.customFields,
  lastInteractedChannelId: contacts.lastInteractedChannelId,
};

/** A contact as the dispatch pipeline renders and resolves it. */
export type DispatchContact = Pick<
  typeof contacts.$inferSelect,
  keyof typeof dispatchContactColumns
>;

/** The columns of a run that deciding its move needs (the same reason as for contacts). */
const runStateColumns = {
  id: runs.id,
  workspaceId: runs.workspaceId,
  workflowId: runs.workflowId,
  versionId: runs.versionId,
  status: runs.status,
  currentStepId: runs.currentStepId,
  stepVisit: runs.stepVisit,
  dueAt: runs.dueAt,
  triggerVariables: runs.triggerVariables,
};

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

/** The isolate's graphs of published versions (edge/dispatch/graph-cache.ts). */
const graphCache = new GraphCache();

/**
 * Loads the runs named by a batch with their pinned graph, contact, the contact's identities and
 * the workspace timezone: one query, whatever the batch size. Runs that no longer exist are
 * simply absent from the map. A version's graph comes back at most once per batch (on its first
 * run) and not at all when the isolate has it already (`graphCache`): a batch's runs usually
 * share one version, and its graph would otherwise be read and parsed once per run.
 */
export async function loadRuns(
  db: Database,
  runIds: readonly string[],
  cache: GraphCache = graphCache,
): Promise<Map<string, RunState>> {
  if (runIds.length === 0) return new Map();
  const known = cache.snapshot();
  const rows = await db
    .select({
      run: runStateColumns,
      graph: sql<WorkflowGraph | null>`case
        when ${runs.versionId} = any(${uuidArrayParam(known.keys())}) then null
        when row_number() over (partition by ${runs.versionId} order by ${runs.id}) = 1 then
          (select ${workflowVersions.graph} from ${workflowVersions}
           where ${workflowVersions.id} = ${runs.versionId})
        end`,
      timezone: workspaces.timezone,
      contact: dispatchContactColumns,
      identities: sql<IdentityJson[]>`coalesce((
        select json_agg(json_build_object(
          'channelId', i.channel_id, 'address', i.address, 'lastInboundAt', i.last_inbound_at))
        from contact_identities i where i.contact_id = ${runs.contactId}), '[]'::json)`,
    })
    .from(runs)
    .innerJoin(workspaces, sql`${workspaces.id} = ${runs.workspaceId}`)
    .innerJoin(contacts, sql`${contacts.id} = ${runs.contactId}`)
    .where(inArray(runs.id, [...runIds]));
  const graphs = new Map<string, WorkflowGraph>();
  for (const { run, graph } of rows) {
    const found = graph ? deepFreeze(graph) : known.get(run.versionId);
    if (found) graphs.set(run.versionId, cache.keep(run.versionId, found));
  }
  const states = new Map<string, RunState>();
  for (const { run, timezone, contact, identities } of rows) {
    const graph = graphs.get(run.versionId);
    if (!graph) throw new Error(`run ${run.id}: no graph loaded for version ${run.versionId}`);
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
