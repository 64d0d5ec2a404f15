import type { EmailMedia, MediaFile } from './types';

const MEGABYTE = 1024 * 1024;

/**
 * Most bytes of files one email carries. Base64 makes them a third larger (about 13.4 MB on
 * the wire), within the 20–25 MB that common providers accept and near the 10 MB that many
 * corporate servers allow before encoding; past it, files go as signed links.
 */
export const EMAIL_ATTACHMENTS_MAX_BYTES = 10 * MEGABYTE;

/** Images mail clients show inline. */
const INLINE_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** The Content-ID of a file's inline part: stable per file, so compiled templates stay valid. */
export function contentIdFor(fileId: string): string {
  return `${fileId}@media.sendflow`;
}

/**
 * How an email carries its files, in order (the message's file first, then the step's
 * attachments): uploads are carried in the message while their running total stays within
 * EMAIL_ATTACHMENTS_MAX_BYTES, images inline (cid:, so that they show without the client
 * fetching remote images, which many block by default) and other files as attachments; files
 * registered by URL, and uploads past the cap, are linked.
 */
export function planEmailMedia(
  files: readonly MediaFile[],
  maxBytes = EMAIL_ATTACHMENTS_MAX_BYTES,
): EmailMedia[] {
  let carried = 0;
  return files.map((file) => {
    const base = {
      url: file.url,
      fileName: file.name,
      contentType: file.contentType,
      sizeBytes: file.sizeBytes,
    };
    if (!file.storageKey || carried + file.sizeBytes > maxBytes) {
      return { ...base, disposition: 'link' };
    }
    carried += file.sizeBytes;
    return INLINE_IMAGE_TYPES.has(file.contentType)
      ? {
          ...base,
          disposition: 'inline',
          storageKey: file.storageKey,
          contentId: contentIdFor(file.id),
        }
      : { ...base, disposition: 'attachment', storageKey: file.storageKey };
  });
}
