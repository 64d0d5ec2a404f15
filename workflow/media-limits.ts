/**
 * What a channel accepts as media, per kind of media message, and the check of one file against
 * it. Plain data and pure functions: the API checks a step's file against its specific channel
 * when the step is saved, and dispatch checks it against the channel a send resolved to (Last
 * Interacted) before any provider is called. The limits themselves are each integration's, from
 * its provider's documentation (`mediaLimits` in edge/channels/<integration>/definition.ts).
 */

export const MEDIA_KINDS = ['image', 'video', 'audio', 'document'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** Media a provider accepts for one kind of media message, from its documentation. */
export interface MediaLimit {
  /** The MIME types it takes; empty means any. */
  contentTypes: readonly string[];
  maxBytes: number;
}

/**
 * Media limits per kind of media message; null when the channel takes any file (email attaches
 * or links it, a custom endpoint receives the link).
 */
export type MediaLimits = Readonly<Partial<Record<MediaKind, MediaLimit>>> | null;

/** What the check needs to know about a file. */
export interface MediaFacts {
  name: string;
  contentType: string;
  sizeBytes: number;
}

/**
 * The kind of message a file of `contentType` goes out as on a channel with `limits`: the kind
 * that names the type, else a kind that takes any type; undefined when none takes it.
 */
export function mediaKindFor(limits: MediaLimits, contentType: string): MediaKind | undefined {
  if (!limits) return undefined;
  const type = contentType.toLowerCase();
  const named = MEDIA_KINDS.find((kind) => limits[kind]?.contentTypes.includes(type));
  return named ?? MEDIA_KINDS.find((kind) => limits[kind]?.contentTypes.length === 0);
}

const MEGABYTE = 1024 * 1024;

/** A byte count as people read it: `5 MB`, `640 KB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= MEGABYTE) return `${Number((bytes / MEGABYTE).toFixed(1))} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/** Why `file` cannot go out on a channel with `limits` (named `channelLabel`), or null. */
export function mediaLimitProblem(
  limits: MediaLimits,
  file: MediaFacts,
  channelLabel: string,
): string | null {
  if (!limits) return null;
  const kind = mediaKindFor(limits, file.contentType);
  if (!kind) return `${channelLabel} cannot send ${file.contentType} files (${file.name})`;
  const { maxBytes } = limits[kind]!;
  if (file.sizeBytes > maxBytes) {
    return `${file.name} is ${formatBytes(file.sizeBytes)}, over the ${formatBytes(maxBytes)} ${channelLabel} takes for ${kind} files`;
  }
  return null;
}

/**
 * The longest caption a provider takes on a media message (`maxLength`, in Unicode code points,
 * which is never more than the UTF-16 units or the bytes a provider may count), and the kinds
 * of media message that carry a caption at all (any other kind is sent without it).
 */
export interface CaptionLimit {
  maxLength: number;
  kinds: readonly MediaKind[];
}
