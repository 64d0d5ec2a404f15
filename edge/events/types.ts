import type { EventLogFilter, EventRow } from '../../db/event-log';

/**
 * The partner events (docs/architecture.md, "Partner events"), version 1. The same JSON goes
 * out on the GraphQL subscription (as the `DeliveryEvent` type) and in webhook bodies.
 */
export const EVENT_TYPES = [
  'run.started',
  'delivery.queued',
  'delivery.sent',
  'delivery.delivered',
  'delivery.read',
  'delivery.failed',
  'run.routed',
  'run.completed',
  'run.exited',
  'webhook.endpoint_disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The version of every shape below; a breaking change adds a version, never edits this one. */
export const EVENT_VERSION = 1;

/** `data` of `delivery.*` events: the delivery as it is after the change. */
export interface DeliveryEventData {
  delivery: {
    id: string;
    runId: string;
    stepId: string;
    visit: number;
    workflowId: string;
    contactId: string;
    channelId: string | null;
    /** Our status: queued | sending | sent | failed. */
    status: string;
    /** The provider's news after accepting it: sent | delivered | read | failed, or null. */
    providerStatus: string | null;
    providerMessageId: string | null;
    reason: { code: string; detail: string | null } | null;
  };
}

/** `data` of `run.*` events: the run as it is after the change. */
export interface RunEventData {
  run: {
    id: string;
    workflowId: string;
    contactId: string;
    /** active | completed | exited */
    status: string;
    stepId: string | null;
    visit: number;
    /** From which step a `run.routed` came. */
    fromStepId: string | null;
    exitReason: string | null;
  };
}

/** `data` of `webhook.endpoint_disabled`: the endpoint we stopped calling, and why. */
export interface WebhookEndpointEventData {
  endpoint: {
    id: string;
    url: string;
    /** `gone` (it answered 410) or `failing` (every attempt failed for the configured time). */
    reason: string;
    disabledAt: string;
  };
}

/** One event as partners receive it. */
export interface PartnerEvent {
  v: typeof EVENT_VERSION;
  /** Per-workspace position, a decimal string (a bigint): resume after it. */
  cursor: string;
  type: EventType;
  occurredAt: string;
  data: DeliveryEventData | RunEventData | WebhookEndpointEventData;
}

/** An event with what the fan-out needs to route it: its workspace and its filter keys. */
export interface LoggedEvent {
  workspaceId: string;
  cursor: number;
  refs: {
    workflowId: string | null;
    runId: string | null;
    contactId: string | null;
    channelId: string | null;
  };
  event: PartnerEvent;
}

/** What one logged event is made of, whoever reads or builds it. */
export interface LoggedEventParts extends Omit<PartnerEvent, 'v' | 'cursor'> {
  workspaceId: string;
  cursor: number;
  refs: LoggedEvent['refs'];
}

/**
 * A logged event as the fan-out and partners get it, from its parts: the one shape of it, its
 * keys always in this order (the JSON partners receive). Fields one by one rather than spread:
 * the dispatch record builds ~300 per batch.
 */
export function loggedEvent(parts: LoggedEventParts): LoggedEvent {
  return {
    workspaceId: parts.workspaceId,
    cursor: parts.cursor,
    refs: parts.refs,
    event: {
      v: EVENT_VERSION,
      cursor: String(parts.cursor),
      type: parts.type,
      occurredAt: parts.occurredAt,
      data: parts.data,
    },
  };
}

/** A log row (db/event-log.ts) as the event partners receive. */
export function loggedEventFromRow(row: EventRow): LoggedEvent {
  return loggedEvent({
    workspaceId: row.workspace_id,
    cursor: Number(row.cursor),
    refs: {
      workflowId: row.workflow_id,
      runId: row.run_id,
      contactId: row.contact_id,
      channelId: row.channel_id,
    },
    type: row.type as EventType,
    occurredAt: new Date(row.occurred_at).toISOString(),
    data: row.data as unknown as PartnerEvent['data'],
  });
}

/** Whether an event passes a subscription's or an endpoint's filter. */
export function matchesFilter(event: LoggedEvent, filter: EventLogFilter): boolean {
  if (filter.types && filter.types.length > 0 && !filter.types.includes(event.event.type)) {
    return false;
  }
  const { refs } = event;
  return (
    (!filter.workflowId || refs.workflowId === filter.workflowId) &&
    (!filter.runId || refs.runId === filter.runId) &&
    (!filter.contactId || refs.contactId === filter.contactId) &&
    (!filter.channelId || refs.channelId === filter.channelId)
  );
}

/** Where appended events go after their statement commits (the workspace's EventHub). */
export interface EventPublisher {
  publish(events: readonly LoggedEvent[]): Promise<void>;
}

/**
 * A workspace's live events for one subscription (the EventHub provides it to the GraphQL
 * context on the SSE endpoint). `after` null means "from the Last-Event-ID header, else from
 * now". Rejects, before anything is sent, a cursor the workspace's log has not reached.
 */
export interface LiveEvents {
  subscribe(
    filter: EventLogFilter,
    after: number | null,
  ): AsyncIterable<PartnerEvent> | Promise<AsyncIterable<PartnerEvent>>;
}
