import { mediaLimitProblem } from '../../workflow/media-limits';
import {
  checkMessagingWindow,
  type IdentityRef,
  type ResolvableChannel,
  resolveChannel,
  resolveContent,
} from '../../workflow/resolve';
import type { FailureReason, MessageContent, SendMessageConfig } from '../../workflow/types';
import type { RenderContext } from '../../workflow/variables';
import { integrationFor, providerOf } from '../channels/registry';
import type { ProviderThread } from '../channels/types';
import { linkExpiry, type MediaLinkSigner } from '../media/signed-link';
import { renderMessage } from '../render/message';
import { RenderError } from '../render/render-error';
import type { MediaFile, RenderedMessage } from '../render/types';
import type { DispatchChannel, DispatchLibrary } from './library';
import { threadKey } from './library';
import type { DispatchContact } from './load';

/** One send to prepare: the step, who it goes to, and the batch's shared data. */
export interface PrepareInput {
  config: SendMessageConfig;
  workspaceId: string;
  workflowId: string;
  contact: DispatchContact;
  identities: readonly IdentityRef[];
  library: DispatchLibrary;
  ctx: RenderContext;
  /** Becomes the email Message-ID and the providers' idempotency key. */
  deliveryId: string;
  /** Names the compiled-MJML cache entry (`versionId:stepId`). */
  templateKey?: string;
  /** Signs links to uploads (PUBLIC_URL); without it, uploads can be attached but not linked. */
  mediaLinks?: MediaLinkSigner;
  /**
   * The address an earlier attempt of this delivery was sent to (deliveries.recipient): the
   * send goes there, not to the contact's address as resolved now. Null or absent on a first
   * attempt.
   */
  recordedRecipient?: string | null;
}

/** A send ready to hand to its channel's adapter. */
export interface ReadySend {
  ok: true;
  channel: DispatchChannel;
  recipient: string;
  source: 'channel_response' | 'default';
  content: MessageContent;
  rendered: RenderedMessage;
  /** The provider's thread an email continues (Gmail), from the workflow's earlier sends. */
  providerThread: ProviderThread | null;
}

/** A send that must fail before any provider is called, with what was resolved so far. */
export interface RefusedSend {
  ok: false;
  reason: FailureReason;
  detail: string;
  channel?: DispatchChannel;
  source?: 'channel_response' | 'default';
  content?: MessageContent;
}

export type PreparedSend = ReadySend | RefusedSend;

/** Message-IDs need a domain; a channel without a usable from-address gets a reserved one. */
const FALLBACK_MESSAGE_ID_DOMAIN = 'sendflow.invalid';

/** The domain of an email channel's from-address, used on the right of its Message-IDs. */
export function messageIdDomain(channel: DispatchChannel): string {
  const from = channel.settings.fromAddress;
  if (typeof from !== 'string' || !from.includes('@')) return FALLBACK_MESSAGE_ID_DOMAIN;
  return from.slice(from.lastIndexOf('@') + 1);
}

function workspaceChannels(
  library: DispatchLibrary,
  workspaceId: string,
): ReadonlyMap<string, ResolvableChannel> {
  let byWorkspace = channelsByWorkspace.get(library);
  if (!byWorkspace) {
    byWorkspace = new Map();
    channelsByWorkspace.set(library, byWorkspace);
  }
  const known = byWorkspace.get(workspaceId);
  if (known) return known;
  const channels = new Map<string, ResolvableChannel>();
  for (const channel of library.channels.values()) {
    if (channel.workspaceId === workspaceId) channels.set(channel.id, channel);
  }
  byWorkspace.set(workspaceId, channels);
  return channels;
}

/**
 * A batch's library filtered per workspace once, not once per send (a library is not changed
 * after it is loaded, and lives as long as its batch).
 */
const channelsByWorkspace = new WeakMap<
  DispatchLibrary,
  Map<string, ReadonlyMap<string, ResolvableChannel>>
>();

/**
 * The workspace's files as messages refer to them: a registered file's URL, or a signed link to
 * an upload, valid for as long as the channel needs (email links are read weeks later).
 */
async function workspaceFiles(
  library: DispatchLibrary,
  workspaceId: string,
  linkFor: { signer?: MediaLinkSigner; channelType: DispatchChannel['type']; now: Date },
): Promise<Map<string, MediaFile>> {
  const files = new Map<string, MediaFile>();
  const expiresAt = linkExpiry(linkFor.channelType === 'email' ? 'email' : 'provider', linkFor.now);
  for (const file of library.files.values()) {
    if (file.workspaceId !== workspaceId) continue;
    const url =
      file.url ??
      (linkFor.signer && file.storageKey ? await linkFor.signer.link(file, expiresAt) : '');
    files.set(file.id, { ...file, url });
  }
  return files;
}

/** Why the content's file cannot go out on `channel` (its integration's media limits), or null. */
function mediaProblem(
  content: MessageContent,
  channel: DispatchChannel,
  files: ReadonlyMap<string, MediaFile>,
): string | null {
  if (content.type !== 'media') return null;
  const file = files.get(content.fileId);
  const integration = integrationFor(channel.type, providerOf(channel));
  if (!file || !integration) return null;
  return mediaLimitProblem(integration.definition.mediaLimits, file, integration.definition.label);
}

/**
 * Resolves and renders one send (the channel, the content, the rendering) without sending
 * it: the channel (specific or last interacted) and the contact's address on it, the content
 * (the channel response for that channel, else the default message), the messaging window, then
 * the rendered message. Failures that make a send impossible are returned, not thrown, so that
 * the provider is never called for them; the dispatch consumer and the preview query share it.
 */
export async function prepareSend(input: PrepareInput): Promise<PreparedSend> {
  const { config, contact, library, workspaceId } = input;
  const resolution = resolveChannel(
    config.channel,
    contact,
    workspaceChannels(library, workspaceId),
    input.identities,
  );
  if (!resolution.ok) return { ok: false, reason: resolution.reason, detail: resolution.detail };
  const channel = library.channels.get(resolution.channel.id)!;
  const { content, source } = resolveContent(config, channel.id);
  const window = checkMessagingWindow(
    channel.type,
    content,
    resolution.lastInboundAt,
    input.ctx.now,
  );
  if (!window.open) {
    return {
      ok: false,
      reason: 'messaging_window_closed',
      detail: window.detail,
      channel,
      source,
      content,
    };
  }
  const files = await workspaceFiles(library, workspaceId, {
    signer: input.mediaLinks,
    channelType: channel.type,
    now: input.ctx.now,
  });
  // Saving checks a specific channel; Last Interacted is only known now.
  const problem = mediaProblem(content, channel, files);
  if (problem)
    return { ok: false, reason: 'content_invalid', detail: problem, channel, source, content };
  const thread =
    channel.type === 'email'
      ? library.threads.get(threadKey(input.workflowId, contact.id, channel.id))
      : undefined;
  try {
    const rendered = await renderMessage({
      content,
      email: config.email,
      channelType: channel.type,
      ctx: input.ctx,
      snippets: library.snippets.get(workspaceId) ?? new Map(),
      files,
      thread: { messageIds: thread?.messageIds ?? [] },
      deliveryId: input.deliveryId,
      domain: messageIdDomain(channel),
      templateKey:
        input.templateKey &&
        (source === 'channel_response' ? `${input.templateKey}:${channel.id}` : input.templateKey),
    });
    return {
      ok: true,
      channel,
      recipient: recipientOf(resolution.recipient, input.recordedRecipient),
      source,
      content,
      rendered,
      providerThread: thread?.providerThread ?? null,
    };
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    return { ok: false, reason: error.reason, detail: error.message, channel, source, content };
  }
}

/**
 * Where a send goes: the address an earlier attempt of its delivery was sent to, when there is
 * one, else the contact's address as resolved now. An attempt whose outcome is unknown (a
 * timeout, a network error) may have reached the contact at the earlier address; a retry to the
 * address they have now (edited meanwhile) would deliver the message a second time.
 *
 * The recorded address is only ever used once the send has resolved as a first attempt would
 * (the channel still there and connected, the contact still having an address on it, its
 * messaging window open): it decides where the retry goes, never whether it goes. So a contact
 * whose address on the channel was removed since (an email or phone cleared, the identity
 * deleted) fails the retry `no_associated_channel`, as it would fail a first attempt: whoever
 * removed it asked for nothing more to go there. A deleted contact has no run left to retry.
 * It is always an address for the channel being sent on: a step's channel is fixed by its
 * published version, a Last Interacted retry goes to the channel its attempt went to
 * (runs.delivery_channel_id), and a channel's type never changes. An address that another
 * contact has taken since (edited onto them) still gets the retry: it is the one the earlier
 * attempt may have reached, and a retry can only complete that attempt, not redirect it.
 */
function recipientOf(resolved: string, recorded: string | null | undefined): string {
  return recorded ?? resolved;
}
