import type { EventLogFilter } from '../../db/event-log';
import { type LoggedEvent, matchesFilter } from './types';

/** An in-memory log standing in for Postgres: the fan-out's logic is what is under test here. */
export function eventLog() {
  const committed: LoggedEvent[] = [];
  let reads = 0;
  return {
    committed,
    get reads() {
      return reads;
    },
    commit(count: number, runId = 'run-a'): LoggedEvent[] {
      const start = committed.length;
      const added = Array.from({ length: count }, (_, index) => event(start + index + 1, runId));
      for (const one of added) committed.push(one);
      return added;
    },
    async read(after: number, limit: number, filter: EventLogFilter = {}) {
      reads++;
      return committed
        .filter((one) => one.cursor > after && matchesFilter(one, filter))
        .slice(0, limit);
    },
  };
}

export function event(cursor: number, runId: string): LoggedEvent {
  return {
    workspaceId: 'ws',
    cursor,
    refs: { workflowId: 'wf', runId, contactId: 'c', channelId: null },
    event: {
      v: 1,
      cursor: String(cursor),
      type: 'run.routed',
      occurredAt: new Date(0).toISOString(),
      data: {} as never,
    },
  };
}
