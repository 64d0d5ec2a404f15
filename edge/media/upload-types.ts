import type { MediaKind } from '../../workflow/media-limits';

const MEGABYTE = 1024 * 1024;

/**
 * The file types the library stores, with the kind of media each is and the name extensions it
 * may carry. A type is what the bytes are (edge/media/sniff.ts), never what the client says.
 * Anything else (executables, archives, scripts, HTML, SVG) is refused: the library holds what
 * channels can send, and nothing a browser would run when a link is opened.
 */
export const UPLOAD_TYPES: Readonly<Record<string, { kind: MediaKind; extensions: string[] }>> = {
  'image/jpeg': { kind: 'image', extensions: ['jpg', 'jpeg', 'jpe', 'jfif'] },
  'image/png': { kind: 'image', extensions: ['png'] },
  'image/gif': { kind: 'image', extensions: ['gif'] },
  'image/webp': { kind: 'image', extensions: ['webp'] },
  'video/mp4': { kind: 'video', extensions: ['mp4', 'm4v'] },
  'video/3gpp': { kind: 'video', extensions: ['3gp', '3gpp'] },
  'video/quicktime': { kind: 'video', extensions: ['mov', 'qt'] },
  'audio/mpeg': { kind: 'audio', extensions: ['mp3'] },
  'audio/ogg': { kind: 'audio', extensions: ['ogg', 'oga', 'opus'] },
  'audio/aac': { kind: 'audio', extensions: ['aac'] },
  'audio/amr': { kind: 'audio', extensions: ['amr'] },
  'audio/mp4': { kind: 'audio', extensions: ['m4a', 'm4b'] },
  // Not what uploads are stored as any more (edge/media/sniff.ts names them `audio/ogg` and
  // `audio/mp4`), but rows may hold them: their links keep their extension and are served.
  'audio/opus': { kind: 'audio', extensions: ['ogg', 'oga', 'opus'] },
  'audio/x-m4a': { kind: 'audio', extensions: ['m4a'] },
  'application/pdf': { kind: 'document', extensions: ['pdf'] },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    kind: 'document',
    extensions: ['docx'],
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
    kind: 'document',
    extensions: ['xlsx'],
  },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
    kind: 'document',
    extensions: ['pptx'],
  },
  'text/plain': { kind: 'document', extensions: ['txt', 'text', 'csv', 'log', 'md'] },
};

/**
 * The charset a stored file of `contentType` is in, for the `charset` parameter it is served and
 * mailed with, or null for a type without one. Text is stored only when it is valid UTF-8
 * (edge/media/sniff.ts); without the parameter, mail clients read `text/plain` as US-ASCII
 * (RFC 2046 §4.1.2) and browsers guess.
 */
export function storedCharset(contentType: string): string | null {
  return contentType === 'text/plain' ? 'utf-8' : null;
}

/**
 * The extension a link to a file of `contentType` ends in (edge/media/signed-link.ts), or null
 * for a type the library does not store. Some providers read a media URL's type from its last
 * path segment: Viber's picture `media` "must have a resource with a .jpeg, .png or .gif file
 * extension" (REST Bot API, "Picture message"), hence `jpeg` rather than `jpg`.
 */
export function linkExtension(contentType: string): string | null {
  if (contentType === 'image/jpeg') return 'jpeg';
  return UPLOAD_TYPES[contentType]?.extensions[0] ?? null;
}

/** Whether `extension` names files of `contentType` (a link's last segment may carry it). */
export function isExtensionOf(extension: string, contentType: string): boolean {
  return UPLOAD_TYPES[contentType]?.extensions.includes(extension) ?? false;
}

/**
 * Largest upload per kind. Every channel's own limit is lower or equal except WhatsApp
 * documents (100 MB): the Worker holds an upload in memory (128 MB per isolate), so uploads
 * stay well under that.
 */
export const UPLOAD_MAX_BYTES: Readonly<Record<MediaKind, number>> = {
  image: 10 * MEGABYTE,
  video: 25 * MEGABYTE,
  audio: 16 * MEGABYTE,
  document: 25 * MEGABYTE,
};

/** The largest upload of any kind: requests beyond it are refused before they are read. */
export const UPLOAD_MAX_BYTES_ANY = Math.max(...Object.values(UPLOAD_MAX_BYTES));

/** Room for the `operations` and `map` parts and the multipart framing around the file. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

/**
 * The largest request `/graphql` reads: one file at the largest cap, plus framing. The Worker
 * refuses larger multipart requests (edge/host/upload-limit.ts), and the API gives Yoga this as
 * its request body limit, whose default (25,000,000 bytes) is below the 25 MB (MiB) caps.
 */
export const MAX_MULTIPART_BYTES = UPLOAD_MAX_BYTES_ANY + MULTIPART_OVERHEAD_BYTES;
