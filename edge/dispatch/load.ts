import { sql } from 'drizzle-orm';
import { v7 as uuidV7 } from 'uuid';
import type { Database } from '../../db/client';
import { queryPreparedRows, uuidArrayParam } from '../../db/rows';
import type { contacts } from '../../db/schema';
import type { IdentityRef } from '../../workflow/resolve';
import { isSendMessageStep } from '../../workflow/steps';
import type { WorkflowGraph } from '../../workflow/types';
import type { ClaimedDelivery } from './claim';
import { deepFreeze, GraphCache } from './graph-cache';
import { CLAIM_LEASE_SECONDS, DUE_TOLERANCE_SECONDS } from './limits';

/** A contact as the dispatch pipeline renders and resolves it. */
export type DispatchContact = Pick<
  typeof contacts.$inferSelect,
  | 'id'
  | 'firstName'
  | 'lastName'
  | 'email'
  | 'phone'
  | 'country'
  | 'language'
  | 'customFields'
  | 'lastInteractedChannelId'
>;

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
  /**
   * The address an earlier attempt of the current visit's delivery was sent to
   * (deliveries.recipient), where this attempt goes too; null on a visit's first attempt, and
   * when no earlier attempt recorded one.
   */
  recordedRecipient: string | null;
}

interface IdentityJson {
  channelId: string;
  address: string;
  lastInboundAt: string | null;
}

/** The isolate's graphs of published versions (edge/dispatch/graph-cache.ts). */
const graphCache = new GraphCache();

/** A batch's message for one run: the run, and the step visit the message was sent for. */
export interface RunRequest {
  runId: string;
  visit: number;
}

/** A batch's runs, and the deliveries the same statement claimed for them (by run id). */
export interface LoadedBatch {
  runs: Map<string, RunState>;
  claims: Map<string, ClaimedDelivery>;
}

interface LoadRow {
  id: string;
  workspace_id: string;
  workflow_id: string;
  version_id: string;
  status: RunState['status'];
  current_step_id: string | null;
  step_visit: number;
  due_at_ms: number;
  trigger_variables: Record<string, string>;
  graph: WorkflowGraph | null;
  timezone: string;
  contact_id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  country: string | null;
  language: string | null;
  custom_fields: DispatchContact['customFields'];
  last_interacted_channel_id: string | null;
  identities: IdentityJson[];
  recorded_recipient: string | null;
  claim_delivery_id: string | null;
  claim_attempts: number | null;
  claim_lease_until_ms: number | null;
  claimed_at_ms: number | null;
}

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
  const batch = await loadBatch(db, runIds, [], cache, CLAIM_LEASE_SECONDS);
  return batch.runs;
}

/**
 * Loads a batch's runs as `loadRuns` does and, in the same statement, claims the deliveries of
 * the runs that are due at a send step of a version whose graph the isolate has (so the
 * statement can tell which steps send): the claim `claimDeliveries` makes (edge/dispatch/
 * claim.ts), on the same conditions, tested on the run row being updated. A batch of sends thus
 * reads its runs once and costs one statement and one round trip fewer. A run at a send step
 * that this claimed nothing for (its version was not cached yet, it is held or finished, or the
 * Worker's clock finds it due where the database's did not) is claimed by `claimDeliveries`,
 * which also says why it is not claimable. The claims' `claimedAtMs` is the database's clock.
 */
export async function loadAndClaimRuns(
  db: Database,
  requests: readonly RunRequest[],
  cache: GraphCache = graphCache,
  leaseSeconds = CLAIM_LEASE_SECONDS,
): Promise<LoadedBatch> {
  return loadBatch(
    db,
    [...new Set(requests.map((request) => request.runId))],
    requests,
    cache,
    leaseSeconds,
  );
}

async function loadBatch(
  db: Database,
  runIds: readonly string[],
  requests: readonly RunRequest[],
  cache: GraphCache,
  leaseSeconds: number,
): Promise<LoadedBatch> {
  const claims = new Map<string, ClaimedDelivery>();
  if (runIds.length === 0) return { runs: new Map(), claims };
  const known = cache.snapshot();
  const sendSteps = sendStepsOf(known);
  const lastInteractedSteps = sendStepsOf(known, true);
  // A Last Interacted send is pinned to the channel it resolves to now, before the provider is
  // called: a consumer that dies after the call leaves no record, and its retry must go there
  // too (runs.delivery_channel_id says why). Kept once set. Versions without such a step
  // (most batches) leave the column out of the claim.
  const pin =
    lastInteractedSteps.length > 0
      ? sql`,
              delivery_channel_id = case
                when r.delivery_channel_id is null
                  and r.version_id::text || ':' || r.current_step_id::text
                    = any(${sql.param(lastInteractedSteps)}::text[])
                then (select c.last_interacted_channel_id from contacts c
                      where c.id = r.contact_id)
                else r.delivery_channel_id end`
      : sql``;
  const claiming = requests.length > 0 && sendSteps.length > 0;
  const ids = uuidArrayParam(runIds);
  // Each run's row is read once: through the claim's update when it is claimed (its RETURNING
  // is the row as claimed), by primary key otherwise. `prior_attempts`: the claims of its
  // visit's delivery before this statement's (RETURNING counts this one).
  const batch = claiming
    ? sql`claimed as (
          update runs r
          set lease_until = now() + ${leaseSeconds} * interval '1 second',
              delivery_attempts = r.delivery_attempts + 1,
              delivery_id = coalesce(r.delivery_id, (k.keys -> r.id::text ->> 1)::uuid)${pin}
          from (select ${claimKeys(requests)}::jsonb as keys) k
          where r.id = any(${ids}) and (r.status = 'active') is true
            and r.step_visit = (k.keys -> r.id::text ->> 0)::int
            and r.version_id::text || ':' || r.current_step_id::text
              = any(${sql.param(sendSteps)}::text[])
            and r.due_at <= now() + ${DUE_TOLERANCE_SECONDS} * interval '1 second'
            -- On the row being updated, as claimDeliveries tests them (claim.ts says why).
            and (r.lease_until is null or r.lease_until < now())
            and not r.delivery_finished
          returning ${runColumns('r')}, r.delivery_attempts - 1 as prior_attempts,
                    r.delivery_id as claim_delivery_id,
                    r.delivery_attempts as claim_attempts,
                    (extract(epoch from r.lease_until) * 1000)::float8 as claim_lease_until_ms,
                    (extract(epoch from now()) * 1000)::float8 as claimed_at_ms
        ),
        batch as (
          select * from claimed
          union all
          select ${runColumns('r')}, r.delivery_attempts, null::uuid, null::int, null::float8,
                 null::float8
          from runs r
          where r.id = any(array(select unnest(${ids}) except select id from claimed))
        )`
    : sql`batch as (
          select ${runColumns('r')}, r.delivery_attempts as prior_attempts,
                 null::uuid as claim_delivery_id, null::int as claim_attempts,
                 null::float8 as claim_lease_until_ms, null::float8 as claimed_at_ms
          from runs r where r.id = any(${ids})
        )`;
  const rows = await queryPreparedRows<LoadRow>(
    db,
    sql`with ${batch}
      select r.id, r.workspace_id, r.workflow_id, r.version_id, r.status, r.current_step_id,
             r.step_visit, r.due_at_ms, r.trigger_variables,
             case
               when r.version_id = any(${uuidArrayParam(known.keys())}) then null
               when row_number() over (partition by r.version_id order by r.id) = 1 then
                 (select v.graph from workflow_versions v where v.id = r.version_id)
             end as graph,
             w.timezone, c.id as contact_id, c.first_name, c.last_name, c.email, c.phone,
             c.country, c.language, c.custom_fields,
             -- A retry goes where this visit's delivery was attempted (runs.delivery_channel_id
             -- says why): for this send, that is the contact's last interacted channel.
             coalesce(r.delivery_channel_id, c.last_interacted_channel_id)
               as last_interacted_channel_id,
             coalesce((
               select json_agg(json_build_object(
                 'channelId', i.channel_id, 'address', i.address,
                 'lastInboundAt', i.last_inbound_at))
               from contact_identities i where i.contact_id = r.contact_id), '[]'::json)
               as identities,
             -- A later attempt of a delivery goes to the address an earlier one was sent to
             -- (deliveries.recipient says why). Read by primary key, and only for a run whose
             -- delivery was claimed before (a retry: rare), so a first attempt reads nothing.
             case when r.prior_attempts > 0 then
               (select d.recipient from deliveries d where d.id = r.delivery_id)
             end as recorded_recipient,
             r.claim_delivery_id, r.claim_attempts, r.claim_lease_until_ms, r.claimed_at_ms
      from batch r
      join workspaces w on w.id = r.workspace_id
      join contacts c on c.id = r.contact_id`,
  );
  const graphs = new Map<string, WorkflowGraph>();
  for (const row of rows) {
    const found = row.graph ? deepFreeze(row.graph) : known.get(row.version_id);
    if (found) graphs.set(row.version_id, cache.keep(row.version_id, found));
  }
  const runs = new Map<string, RunState>();
  for (const row of rows) {
    const graph = graphs.get(row.version_id);
    if (!graph) throw new Error(`run ${row.id}: no graph loaded for version ${row.version_id}`);
    runs.set(row.id, runState(row, graph));
    if (row.claim_delivery_id !== null && row.claim_attempts !== null) {
      claims.set(row.id, {
        id: row.claim_delivery_id,
        runId: row.id,
        status: 'sending',
        attempts: row.claim_attempts,
        reasonCode: null,
        reasonDetail: null,
        leaseUntilMs: row.claim_lease_until_ms,
        claimedAtMs: row.claimed_at_ms,
        claimed: true,
        deliveryChannelId: null,
        accepted: null,
      });
    }
  }
  return { runs, claims };
}

function runState(row: LoadRow, graph: WorkflowGraph): RunState {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    workflowId: row.workflow_id,
    versionId: row.version_id,
    status: row.status,
    currentStepId: row.current_step_id,
    stepVisit: row.step_visit,
    dueAt: new Date(row.due_at_ms),
    triggerVariables: row.trigger_variables,
    graph,
    timezone: row.timezone,
    contact: {
      id: row.contact_id,
      firstName: row.first_name,
      lastName: row.last_name,
      email: row.email,
      phone: row.phone,
      country: row.country,
      language: row.language,
      customFields: row.custom_fields,
      lastInteractedChannelId: row.last_interacted_channel_id,
    },
    identities: row.identities.map((identity) => ({
      channelId: identity.channelId,
      address: identity.address,
      lastInboundAt: identity.lastInboundAt ? new Date(identity.lastInboundAt) : null,
    })),
    recordedRecipient: row.recorded_recipient,
  };
}

/**
 * The send steps of the cached versions, as `<version id>:<step id>`: what the load's claim may
 * claim (a run whose version and step make one of these). A batch of any other step claims
 * nothing. `lastInteractedOnly`: those that send on the contact's last interacted channel,
 * whose claim pins that channel.
 */
function sendStepsOf(
  graphs: ReadonlyMap<string, WorkflowGraph>,
  lastInteractedOnly = false,
): string[] {
  const steps: string[] = [];
  for (const [versionId, graph] of graphs) {
    for (const step of graph.steps) {
      if (!isSendMessageStep(step)) continue;
      if (lastInteractedOnly && step.config.channel.kind !== 'last_interacted') continue;
      steps.push(`${versionId}:${step.id}`);
    }
  }
  return steps;
}

/** The run columns a batch loads, of `runs` aliased `alias`. */
function runColumns(alias: string) {
  const r = sql.raw(alias);
  return sql`${r}.id, ${r}.workspace_id, ${r}.workflow_id, ${r}.version_id, ${r}.status,
    ${r}.current_step_id, ${r}.step_visit,
    (extract(epoch from ${r}.due_at) * 1000)::float8 as due_at_ms, ${r}.trigger_variables,
    ${r}.contact_id, ${r}.delivery_channel_id, ${r}.delivery_id`;
}

/**
 * What the claim needs per run, as one JSON object keyed by run id: the visit its message is
 * for and, should the visit have no delivery yet, the id to give it (a UUID v7 made here:
 * Postgres's takes ~6 µs a row, claim.ts). The update looks each run up in it by key, so that
 * joining a recordset of the keys does not make it compare every run with every key.
 */
function claimKeys(requests: readonly RunRequest[]): string {
  const keys: Record<string, [number, string]> = {};
  for (const { runId, visit } of requests) {
    // Two messages for one run: the later visit is the one it can be at (visits only grow).
    const known = keys[runId];
    if (!known) keys[runId] = [visit, uuidV7()];
    else if (visit > known[0]) known[0] = visit;
  }
  return JSON.stringify(keys);
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
