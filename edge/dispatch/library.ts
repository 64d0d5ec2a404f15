import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { queryPreparedRows } from '../../db/rows';
import type { ChannelType } from '../../workflow/channel-types';
import { isUuid } from '../../workflow/ids';
import { stepReferences } from '../../workflow/step-references';
import type { SendMessageConfig } from '../../workflow/types';
import type { ProviderThread } from '../channels/types';

/** A channel with what sending on it needs (credentials still encrypted). */
export interface DispatchChannel {
  id: string;
  workspaceId: string;
  type: ChannelType;
  /** Null on rows saved before providers existed (the type's default then). */
  provider: string | null;
  name: string;
  settings: Record<string, unknown>;
  credentialsCiphertext: string | null;
  status: 'connected' | 'disconnected' | 'error';
  /** The rate its user set (null: the integration's default; edge/dispatch/pace.ts). */
  maxMessagesPerSecond: number | null;
  /**
   * What the batch sends with, as one fingerprint (`channelSendingState`): a failure that puts
   * the channel into error applies only while the channel still has it (record.ts). Always
   * loaded; optional for channels a test builds by hand, whose failures then change no channel.
   */
  sendingState?: string;
}

/**
 * A fingerprint of what a send on channel `alias` goes with: its credentials and settings.
 * The library loads it and the record compares it, so that a provider's refusal of the
 * credentials (or a 410 from an endpoint) an attempt used does not put into error a channel
 * whose credentials or settings were replaced while it was in flight (updateChannel): the
 * new ones are not what was refused. Computed the same way on both sides, in SQL (jsonb's
 * text is canonical, the consumer's copy of the settings is not).
 */
export function channelSendingState(alias: string) {
  return sql`md5(coalesce(${sql.raw(alias)}.credentials_ciphertext, '') || ${sql.raw(alias)}.settings::text)`;
}

/** A file of the workspace library that a media message points at. */
export interface LibraryFile {
  id: string;
  workspaceId: string;
  name: string;
  contentType: string;
  sizeBytes: number;
  /** Registered by URL: the URL; null for uploads. */
  url: string | null;
  /** Uploads: the key of the bytes in the media bucket. */
  storageKey: string | null;
}

/** The workspace data a batch of sends renders with, loaded once for the whole batch. */
export interface DispatchLibrary {
  channels: Map<string, DispatchChannel>;
  /** workspaceId → snippet name → body. */
  snippets: Map<string, Map<string, string>>;
  files: Map<string, LibraryFile>;
  /** `threadKey(workflowId, contactId, channelId)` → the thread so far. */
  threads: Map<string, EmailThread>;
}

/** One email thread so far: its Message-IDs, oldest first, and the provider's thread if any. */
export interface EmailThread {
  messageIds: string[];
  providerThread: ProviderThread | null;
}

/** What a set of sends refers to; `loadLibrary` fetches exactly that. */
export interface LibraryNeeds {
  workspaceIds: Set<string>;
  channelIds: Set<string>;
  snippetNames: Set<string>;
  fileIds: Set<string>;
  /** `${workflowId}:${contactId}` pairs whose email threads may be continued. */
  threadOwners: Map<string, { workflowId: string; contactId: string }>;
}

/** An empty set of needs, to be filled with `addStepNeeds`. */
export function emptyNeeds(): LibraryNeeds {
  return {
    workspaceIds: new Set(),
    channelIds: new Set(),
    snippetNames: new Set(),
    fileIds: new Set(),
    threadOwners: new Map(),
  };
}

/** The key of one email thread: one workflow, one contact, one channel. */
export function threadKey(workflowId: string, contactId: string, channelId: string): string {
  return `${workflowId}:${contactId}:${channelId}`;
}

/**
 * Adds what sending `config` to one contact may touch: the channels it can resolve to (the
 * specific one, or the contact's last interacted one), the snippets and files its texts and
 * media name, and the contact's threads in this workflow.
 */
export function addStepNeeds(
  needs: LibraryNeeds,
  config: SendMessageConfig,
  owner: {
    workspaceId: string;
    workflowId: string;
    contactId: string;
    lastInteractedChannelId: string | null;
  },
): void {
  needs.workspaceIds.add(owner.workspaceId);
  const refs = stepReferences(config);
  const channelId =
    config.channel.kind === 'specific' ? refs.specificChannelId : owner.lastInteractedChannelId;
  // Ids that are not UUIDs name nothing, and would make the batch's query fail its cast.
  if (isUuid(channelId)) needs.channelIds.add(channelId);
  for (const name of refs.snippetNames) needs.snippetNames.add(name);
  for (const id of refs.fileIds) needs.fileIds.add(id);
  needs.threadOwners.set(`${owner.workflowId}:${owner.contactId}`, {
    workflowId: owner.workflowId,
    contactId: owner.contactId,
  });
}

interface LibraryRow {
  channels: DispatchChannel[];
  snippets: { workspaceId: string; name: string; body: string }[];
  files: LibraryFile[];
  threads: {
    workflowId: string;
    contactId: string;
    channelId: string;
    messageIds: string[];
    providerThreadId: string | null;
    providerThreadSubject: string | null;
  }[];
}

// `sql.param` keeps an array one parameter; interpolated bare, Drizzle would spread it into a list.
const uuidArray = (values: Iterable<string>) => sql`${sql.param([...values])}::uuid[]`;
const textArray = (values: Iterable<string>) => sql`${sql.param([...values])}::text[]`;

/**
 * Loads the channels, snippets, files and email threads a batch of sends needs in one query
 * (four sub-selects aggregated to JSON). Rows outside `workspaceIds` are never returned, so a
 * graph that names another workspace's channel or file finds nothing.
 */
export async function loadLibrary(db: Database, needs: LibraryNeeds): Promise<DispatchLibrary> {
  const workspaceIds = uuidArray(needs.workspaceIds);
  const owners = [...needs.threadOwners.values()];
  const [row] = await queryPreparedRows<LibraryRow>(
    db,
    sql`select
      (select coalesce(json_agg(json_build_object(
          'id', c.id, 'workspaceId', c.workspace_id, 'type', c.type, 'provider', c.provider,
          'name', c.name,
          'settings', c.settings, 'credentialsCiphertext', c.credentials_ciphertext,
          'status', c.status, 'maxMessagesPerSecond', c.max_messages_per_second,
          'sendingState', ${channelSendingState('c')})), '[]'::json)
        from channels c
        where c.id = any(${uuidArray(needs.channelIds)}) and c.workspace_id = any(${workspaceIds})
      ) as channels,
      (select coalesce(json_agg(json_build_object(
          'workspaceId', s.workspace_id, 'name', s.name, 'body', s.body)), '[]'::json)
        from snippets s
        where s.name = any(${textArray(needs.snippetNames)}) and s.workspace_id = any(${workspaceIds})
      ) as snippets,
      (select coalesce(json_agg(json_build_object(
          'id', f.id, 'workspaceId', f.workspace_id, 'name', f.name,
          'contentType', f.content_type, 'sizeBytes', f.size_bytes, 'url', f.url,
          'storageKey', f.storage_key)), '[]'::json)
        from files f
        where f.id = any(${uuidArray(needs.fileIds)}) and f.workspace_id = any(${workspaceIds})
      ) as files,
      (select coalesce(json_agg(json_build_object(
          'workflowId', t.workflow_id, 'contactId', t.contact_id, 'channelId', t.channel_id,
          'messageIds', t.message_ids, 'providerThreadId', t.provider_thread_id,
          'providerThreadSubject', t.provider_thread_subject)), '[]'::json)
        from email_threads t
        join unnest(${uuidArray(owners.map((o) => o.workflowId))},
                    ${uuidArray(owners.map((o) => o.contactId))}) as o(workflow_id, contact_id)
          on o.workflow_id = t.workflow_id and o.contact_id = t.contact_id
      ) as threads`,
  );
  const library: DispatchLibrary = {
    channels: new Map(),
    snippets: new Map(),
    files: new Map(),
    threads: new Map(),
  };
  if (!row) return library;
  for (const channel of row.channels) library.channels.set(channel.id, channel);
  for (const { workspaceId, name, body } of row.snippets) {
    const named = library.snippets.get(workspaceId) ?? new Map<string, string>();
    named.set(name, body);
    library.snippets.set(workspaceId, named);
  }
  for (const file of row.files) library.files.set(file.id, file);
  for (const thread of row.threads) {
    library.threads.set(threadKey(thread.workflowId, thread.contactId, thread.channelId), {
      messageIds: thread.messageIds,
      providerThread:
        thread.providerThreadId === null
          ? null
          : { id: thread.providerThreadId, subject: thread.providerThreadSubject ?? '' },
    });
  }
  return library;
}
