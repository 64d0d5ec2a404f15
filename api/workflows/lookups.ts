import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { uuidArrayParam } from '../../db/rows';
import { channels, contacts, files, snippets } from '../../db/schema';
import { integrationFor } from '../../edge/channels/registry';
import { canSend } from '../../workflow/channel-capabilities';
import type { ChannelTemplate } from '../../workflow/channel-templates';
import type { ChannelType } from '../../workflow/channel-types';
import { stepReferences } from '../../workflow/step-references';
import type { SendMessageConfig } from '../../workflow/types';
import type { LookupChannel, StepLookups } from '../../workflow/validate-step';

/** A database handle or an open transaction on one. */
export type Queryable = Pick<Database, 'select' | 'selectDistinct'>;

/** The channel ids, file ids and snippet names that some Send a Message configs refer to. */
function references(configs: SendMessageConfig[]) {
  const channelIds = new Set<string>();
  const fileIds = new Set<string>();
  const snippetNames = new Set<string>();
  for (const config of configs) {
    const refs = stepReferences(config);
    if (refs.specificChannelId) channelIds.add(refs.specificChannelId);
    for (const id of refs.responseChannelIds) channelIds.add(id);
    for (const id of refs.fileIds) fileIds.add(id);
    for (const name of refs.snippetNames) snippetNames.add(name);
  }
  return { channelIds: [...channelIds], fileIds: [...fileIds], snippetNames: [...snippetNames] };
}

/**
 * An integration's media limits, caption limit and label, for the media and caption checks
 * (none when it is unknown).
 */
function mediaOf(integration: ReturnType<typeof integrationFor>): Partial<LookupChannel> {
  if (!integration) return {};
  const { mediaLimits, captionLimit, label } = integration.definition;
  return captionLimit ? { mediaLimits, captionLimit, label } : { mediaLimits, label };
}

/**
 * The templates a channel's template steps are checked against: an integration that lists them
 * has its last listing (null: never listed); one that sends templates without listing them
 * (Vonage) has none to check against, so its template steps are refused; channels that send no
 * templates have nothing here.
 */
function templatesOf(
  integration: ReturnType<typeof integrationFor>,
  row: { type: ChannelType; templates: ChannelTemplate[] | null },
): Pick<LookupChannel, 'templates' | 'templatesUnlisted'> {
  if (integration?.connection?.listTemplates) return { templates: row.templates ?? null };
  if (canSend(row.type, 'whatsapp_template')) return { templates: null, templatesUnlisted: true };
  return {};
}

/**
 * The rows of the caller's workspace that `configs` refer to, for validation: one query each
 * for channels, files and snippets, all filtered by workspace so that another workspace's ids
 * look exactly like ids that do not exist. Called in the write's (or publish's) transaction,
 * it locks the rows it finds (FOR KEY SHARE) until that transaction ends: a delete of one of
 * them that has not committed yet is waited for and then seen (the write answers as if the
 * delete came first), and one that starts later waits for the write.
 *
 * The ids and names travel as one array parameter each: a config may name any number of them
 * (a channel response per channel, a snippet per mention in a text not yet held to its length,
 * which the checks on these rows do), and one bind parameter per value fails past Postgres's
 * 65,535, which the API answered as a database outage (503, retry) instead of with the issues.
 */
export async function loadStepLookups(
  db: Queryable,
  workspaceId: string,
  configs: SendMessageConfig[],
): Promise<StepLookups> {
  const wanted = references(configs);
  // One after another: callers pass their transaction, one connection on which statements
  // issued together would only queue in the driver (pg deprecates that queue).
  const channelRows = wanted.channelIds.length
    ? await db
        .select({
          id: channels.id,
          type: channels.type,
          provider: channels.provider,
          status: channels.status,
          templates: channels.templates,
        })
        .from(channels)
        .where(
          and(
            eq(channels.workspaceId, workspaceId),
            sql`${channels.id} = any(${uuidArrayParam(wanted.channelIds)})`,
          ),
        )
        .for('key share')
    : [];
  const fileRows = wanted.fileIds.length
    ? await db
        .select({
          id: files.id,
          name: files.name,
          contentType: files.contentType,
          sizeBytes: files.sizeBytes,
        })
        .from(files)
        .where(
          and(
            eq(files.workspaceId, workspaceId),
            sql`${files.id} = any(${uuidArrayParam(wanted.fileIds)})`,
          ),
        )
        .for('key share')
    : [];
  const snippetRows = wanted.snippetNames.length
    ? await db
        .select({ name: snippets.name, body: snippets.body })
        .from(snippets)
        .where(
          and(
            eq(snippets.workspaceId, workspaceId),
            sql`${snippets.name} = any(${sql.param(wanted.snippetNames)}::text[])`,
          ),
        )
        .for('key share')
    : [];
  return {
    channels: new Map(
      channelRows.map((row) => {
        const integration = integrationFor(row.type, row.provider);
        return [
          row.id,
          {
            type: row.type,
            status: row.status,
            ...mediaOf(integration),
            ...templatesOf(integration, row),
          },
        ];
      }),
    ),
    fileIds: new Set(fileRows.map((row) => row.id)),
    files: new Map(fileRows.map((row) => [row.id, row])),
    snippets: new Map(snippetRows.map((row) => [row.name, row.body])),
  };
}

/**
 * Every custom field key any contact in the workspace has, so that publishing can flag
 * `$contact.<key>` variables no contact could fill. One query.
 */
export async function loadKnownCustomFields(
  db: Queryable,
  workspaceId: string,
): Promise<Set<string>> {
  const rows = await db
    .selectDistinct({ key: sql<string>`jsonb_object_keys(${contacts.customFields})` })
    .from(contacts)
    // jsonb_object_keys fails on a non-object, so skip any row that does not hold one.
    .where(
      and(
        eq(contacts.workspaceId, workspaceId),
        sql`jsonb_typeof(${contacts.customFields}) = 'object'`,
      ),
    );
  return new Set(rows.map((row) => row.key));
}
