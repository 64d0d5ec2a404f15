import { sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { queryRows } from '../../db/rows';
import { isUuid } from '../../workflow/ids';
import type { ApiContext } from '../context';

/** One message of a contact's conversation, inbound or outbound, on any channel. */
export interface ConversationMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  /** When the contact sent it, or when the provider accepted ours (else when it failed). */
  at: Date;
  channelId: string;
  text: string | null;
  /** Inbound: what it holds (text, media, other). */
  kind: 'text' | 'media' | 'other' | null;
  /** Outbound: the delivery's state, the provider's latest status, why it failed, its run. */
  status: 'sent' | 'failed' | null;
  providerStatus: string | null;
  reasonCode: string | null;
  runId: string | null;
}

export interface ConversationPage {
  nodes: ConversationMessage[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Page size when none is asked for, and the largest one may ask for. */
export const DEFAULT_CONVERSATION_PAGE = 20;
export const MAX_CONVERSATION_PAGE = 100;

interface Row {
  id: string;
  direction: 'inbound' | 'outbound';
  at_us: string;
  channel_id: string;
  text: string | null;
  kind: ConversationMessage['kind'];
  status: ConversationMessage['status'];
  provider_status: string | null;
  reason_code: string | null;
  run_id: string | null;
}

// Cursors hold the exact microsecond timestamp and the id: a JS Date would lose microseconds
// and skip messages recorded in the same millisecond. A message from before 1970 (a provider
// may date one so, any year from 1 is stored) has a negative one.
function encodeCursor(row: Row): string {
  return btoa(`${row.at_us}|${row.id}`);
}

/** Microseconds to whole milliseconds, rounding down (BigInt division rounds toward zero). */
function floorMillis(us: bigint): bigint {
  const ms = us / 1000n;
  return us % 1000n < 0n ? ms - 1n : ms;
}

function decodeCursor(cursor: string): { atUs: string; id: string } {
  try {
    const [atUs, id] = atob(cursor).split('|');
    // The id is cast to uuid: 36 hyphens or hex digits that are no UUID would fail the query.
    if (atUs && /^-?\d{1,18}$/.test(atUs) && id && isUuid(id)) return { atUs, id };
  } catch {
    // Reported below.
  }
  throw new GraphQLError('The conversation cursor is malformed', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/**
 * A contact's conversation, newest first: the messages they sent us (inbound_messages) and the
 * ones their runs sent them (deliveries that reached a channel, sent or failed), on every
 * channel of the workspace, in pages of `first` after `after`. One query per page.
 */
export async function conversationPage(
  ctx: ApiContext,
  contactId: string,
  { first, after }: { first?: number | null; after?: string | null },
): Promise<ConversationPage> {
  const size = first ?? DEFAULT_CONVERSATION_PAGE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_CONVERSATION_PAGE) {
    throw new GraphQLError(`first must be from 1 to ${MAX_CONVERSATION_PAGE}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  // `after: ""` is a malformed cursor, not an absent one: it must not restart at the first page.
  const cursor = after != null ? decodeCursor(after) : null;
  const rows = await queryRows<Row>(
    ctx.db,
    sql`select * from (
        select m.id, 'inbound' as direction,
               (extract(epoch from m.received_at) * 1000000)::bigint as at_us,
               m.channel_id, m.summary as text, m.content->>'type' as kind,
               null as status, null as provider_status, null as reason_code, null::uuid as run_id
        from inbound_messages m
        where m.contact_id = ${contactId} and m.workspace_id = ${ctx.workspaceId}
        union all
        select d.id, 'outbound',
               (extract(epoch from coalesce(d.sent_at, d.updated_at)) * 1000000)::bigint,
               d.channel_id, d.content_summary, null, d.status, d.provider_status, d.reason_code,
               d.run_id
        from runs r
        join deliveries d on d.run_id = r.id
        where r.contact_id = ${contactId} and r.workspace_id = ${ctx.workspaceId}
          and d.channel_id is not null and d.status in ('sent', 'failed')
      ) c
      ${cursor ? sql`where (c.at_us, c.id) < (${cursor.atUs}::bigint, ${cursor.id}::uuid)` : sql``}
      order by c.at_us desc, c.id desc
      limit ${size + 1}`,
  );
  const page = rows.slice(0, size);
  return {
    nodes: page.map((row) => ({
      id: row.id,
      direction: row.direction,
      at: new Date(Number(floorMillis(BigInt(row.at_us)))),
      channelId: row.channel_id,
      text: row.text,
      kind: row.kind,
      status: row.status,
      providerStatus: row.provider_status,
      reasonCode: row.reason_code,
      runId: row.run_id,
    })),
    hasNextPage: rows.length > size,
    endCursor: page.length > 0 ? encodeCursor(page.at(-1)!) : null,
  };
}
