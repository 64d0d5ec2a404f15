import { and, eq, inArray } from 'drizzle-orm';
import { channels, contacts, workflows } from '../../db/schema';
import { checkOutboundUrl } from '../../edge/pipeline';
import { isUuid } from '../../workflow/ids';
import type { ApiContext } from '../context';
import { IssueList } from '../validation';

/** An endpoint's filter as the API takes it: every id given must match an event's. */
export interface WebhookFilterValue {
  workflowId?: string | number | null;
  channelId?: string | number | null;
  contactId?: string | number | null;
}

/** The endpoint fields an input may set (create sets all, update those given). */
export interface WebhookEndpointInputValue {
  url?: string | null;
  description?: string | null;
  eventTypes?: readonly string[] | null;
  filter?: WebhookFilterValue | null;
  enabled?: boolean | null;
}

/** The checked columns to write. */
export interface WebhookEndpointColumns {
  url?: string;
  description?: string | null;
  eventTypes?: string[];
  workflowId?: string | null;
  channelId?: string | null;
  contactId?: string | null;
  enabled?: boolean;
}

const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 500;

/** Whether `id` names a row of `table` in the caller's workspace. */
async function inWorkspace(
  ctx: ApiContext,
  table: typeof workflows | typeof channels | typeof contacts,
  id: string,
): Promise<boolean> {
  if (!isUuid(id)) return false;
  const rows = await ctx.db
    .select({ id: table.id })
    .from(table)
    .where(and(inArray(table.id, [id]), eq(table.workspaceId, ctx.workspaceId)));
  return rows.length > 0;
}

/**
 * Checks an endpoint input and returns the columns to write, or throws a ValidationError
 * listing every problem (nothing is written): the URL by the same SSRF rules the sends apply
 * (edge/security/outbound-url.ts; private addresses are refused in production), the filter's
 * ids in this workspace.
 */
export async function checkEndpointInput(
  ctx: ApiContext,
  input: WebhookEndpointInputValue,
): Promise<WebhookEndpointColumns> {
  const issues = new IssueList();
  const columns: WebhookEndpointColumns = {};
  if (input.url != null) {
    const url = input.url.trim();
    const checked =
      url.length > MAX_URL_LENGTH
        ? undefined
        : checkOutboundUrl(url, { allowPrivate: ctx.allowPrivateUrls });
    // The limit holds for what is stored and sent: the parser's form, which percent-encodes
    // (a non-ASCII character up to nine times as long).
    if (!checked || (checked.ok && checked.url.toString().length > MAX_URL_LENGTH)) {
      issues.add('INVALID_URL', 'url', `Must be at most ${MAX_URL_LENGTH} characters`);
    } else if (!checked.ok) {
      issues.add('INVALID_URL', 'url', checked.detail);
    } else {
      columns.url = checked.url.toString();
    }
  }
  if (input.description !== undefined) {
    const description = input.description?.trim() || null;
    if (description && description.length > MAX_DESCRIPTION_LENGTH) {
      issues.add(
        'INVALID_VALUE',
        'description',
        `Must be at most ${MAX_DESCRIPTION_LENGTH} characters`,
      );
    }
    columns.description = description;
  }
  if (input.eventTypes != null) columns.eventTypes = [...new Set(input.eventTypes)].sort();
  if (input.enabled != null) columns.enabled = input.enabled;
  if (input.filter !== undefined) {
    const filter = input.filter ?? {};
    const refs = [
      ['workflowId', workflows, 'Workflow'],
      ['channelId', channels, 'Channel'],
      ['contactId', contacts, 'Contact'],
    ] as const;
    for (const [key, table, entity] of refs) {
      const value = filter[key];
      if (value == null) {
        columns[key] = null;
        continue;
      }
      const id = String(value);
      if (await inWorkspace(ctx, table, id)) columns[key] = id;
      else issues.add('INVALID_VALUE', `filter.${key}`, `${entity} ${id} was not found`);
    }
  }
  issues.throwIfAny();
  return columns;
}
