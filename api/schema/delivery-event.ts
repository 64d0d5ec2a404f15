import { createGraphQLError } from 'graphql-yoga';
import { EVENT_TYPES, type EventType, type PartnerEvent } from '../../edge/pipeline';
import { isUuid } from '../../workflow/ids';
import { builder } from '../builder';

/**
 * The partner event stream: `Subscription.deliveryEvents`, served over GraphQL over SSE at
 * `/graphql/stream` by the workspace's EventHub (edge/events/hub.ts). Each event is one row of
 * the event log (docs/architecture.md, "Partner events"), version 1.
 */

/** `delivery.sent` → `DELIVERY_SENT`. */
function enumName(type: EventType): string {
  return type.replace('.', '_').toUpperCase();
}

export const DeliveryEventTypeEnum = builder.enumType('DeliveryEventType', {
  values: Object.fromEntries(EVENT_TYPES.map((type) => [enumName(type), { value: type }])) as {
    [K in EventType as string]: { value: K };
  },
});

function refsOf(event: PartnerEvent) {
  const { data } = event;
  if ('endpoint' in data) return {};
  if ('run' in data) {
    return { runId: data.run.id, workflowId: data.run.workflowId, contactId: data.run.contactId };
  }
  const { delivery } = data;
  return {
    runId: delivery.runId,
    workflowId: delivery.workflowId,
    contactId: delivery.contactId,
    deliveryId: delivery.id,
    channelId: delivery.channelId,
  };
}

export const DeliveryEventRef = builder.objectRef<PartnerEvent>('DeliveryEvent').implement({
  description:
    'One change partners watch: a delivery queued, sent, delivered, read or failed, a run started, routed, completed or exited, or a webhook endpoint disabled (no run: its ids are null).',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description:
        'Position in the workspace log (increasing, no gaps): pass it as `after` (or `Last-Event-ID`) to resume.',
    }),
    type: t.field({ type: DeliveryEventTypeEnum, resolve: (event) => event.type }),
    version: t.int({ description: 'The version of `data` (1).', resolve: (event) => event.v }),
    occurredAt: t.field({ type: 'DateTime', resolve: (event) => event.occurredAt }),
    runId: t.id({ nullable: true, resolve: (event) => refsOf(event).runId ?? null }),
    workflowId: t.id({ nullable: true, resolve: (event) => refsOf(event).workflowId ?? null }),
    contactId: t.id({ nullable: true, resolve: (event) => refsOf(event).contactId ?? null }),
    deliveryId: t.id({ nullable: true, resolve: (event) => refsOf(event).deliveryId ?? null }),
    channelId: t.id({ nullable: true, resolve: (event) => refsOf(event).channelId ?? null }),
    data: t.field({
      type: 'JSON',
      description:
        'The event body: `{ delivery: {…} }`, `{ run: {…} }` or `{ endpoint: {…} }`, as documented in the README (the same JSON webhooks carry).',
      resolve: (event) => event.data,
    }),
  }),
});

const DeliveryEventFilter = builder.inputType('DeliveryEventFilter', {
  description: 'Every field given must match.',
  fields: (t) => ({
    workflowId: t.id(),
    runId: t.id(),
    contactId: t.id(),
    channelId: t.id(),
    types: t.field({ type: [DeliveryEventTypeEnum] }),
  }),
});

function badInput(message: string) {
  return createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** A cursor as clients send it: a decimal string. */
export function parseCursor(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw badInput('`after` must be a cursor from an earlier event');
  return Number(value);
}

builder.subscriptionType({ authScopes: { read: true } });

builder.subscriptionField('deliveryEvents', (t) =>
  t.field({
    type: DeliveryEventRef,
    description:
      'The workspace events matching `filter`: first those after `after` or the `Last-Event-ID` header (with both, the later; with neither, only new ones), then live, in cursor order, each once. Served over SSE at `/graphql/stream`.',
    args: {
      filter: t.arg({ type: DeliveryEventFilter }),
      after: t.arg.string(),
    },
    subscribe(_root, args, ctx) {
      if (!ctx.liveEvents) {
        throw createGraphQLError('Subscribe over SSE at /graphql/stream', {
          extensions: { code: 'BAD_REQUEST' },
        });
      }
      const filter = args.filter ?? {};
      const ids = {
        workflowId: filter.workflowId,
        runId: filter.runId,
        contactId: filter.contactId,
        channelId: filter.channelId,
      };
      for (const [name, id] of Object.entries(ids)) {
        if (id != null && !isUuid(String(id))) throw badInput(`filter.${name} is not an id`);
      }
      return ctx.liveEvents.subscribe(
        {
          workflowId: ids.workflowId ? String(ids.workflowId) : undefined,
          runId: ids.runId ? String(ids.runId) : undefined,
          contactId: ids.contactId ? String(ids.contactId) : undefined,
          channelId: ids.channelId ? String(ids.channelId) : undefined,
          types: filter.types ?? undefined,
        },
        args.after == null ? null : parseCursor(args.after),
      );
    },
    resolve: (event) => event,
  }),
);
