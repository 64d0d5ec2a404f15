import type { DurableObjectNamespace } from '@cloudflare/workers-types/latest';
import { HUB_ORIGIN, PUBLISH_PATH } from './hub-protocol';
import type { EventPublisher, LoggedEvent } from './types';

/**
 * Publishes committed events to each workspace's EventHub (one POST per workspace). Callers use
 * it through `publishQuietly` (edge/events/publish.ts): a failed publish is repaired by the hub.
 */
export function hubPublisher(namespace: DurableObjectNamespace): EventPublisher {
  return {
    async publish(events) {
      const byWorkspace = new Map<string, LoggedEvent[]>();
      for (const event of events) {
        const list = byWorkspace.get(event.workspaceId) ?? [];
        list.push(event);
        byWorkspace.set(event.workspaceId, list);
      }
      await Promise.all(
        [...byWorkspace].map(async function publishToHub([workspaceId, list]) {
          const hub = namespace.get(namespace.idFromName(workspaceId));
          const response = await hub.fetch(`${HUB_ORIGIN}${PUBLISH_PATH}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(list),
          });
          if (!response.ok) throw new Error(`EventHub answered ${response.status}`);
        }),
      );
    },
  };
}
