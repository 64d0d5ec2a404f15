/**
 * The part of an R2 bucket binding the media library uses. Declared here rather than taken from
 * workers-types so that api/ (which also runs in Node in tests) can name it; the Worker passes
 * its `MEDIA_BUCKET` binding, which has this shape.
 */

/** A byte range of an object: `offset` and `length`, or the last `suffix` bytes. */
export type ByteRange = { offset: number; length: number } | { suffix: number };

/** An object's metadata, and its body when it was read. */
export interface MediaObject {
  key: string;
  size: number;
  httpEtag: string;
  uploaded: Date;
  httpMetadata?: { contentType?: string };
  customMetadata?: Record<string, string>;
  body?: ReadableStream<Uint8Array>;
  arrayBuffer?(): Promise<ArrayBuffer>;
}

export interface MediaBucket {
  put(
    key: string,
    value: ArrayBuffer | Uint8Array,
    options?: {
      httpMetadata?: { contentType?: string };
      customMetadata?: Record<string, string>;
      sha256?: ArrayBuffer;
    },
  ): Promise<MediaObject | null>;
  get(key: string, options?: { range?: ByteRange }): Promise<MediaObject | null>;
  head(key: string): Promise<MediaObject | null>;
  delete(keys: string | string[]): Promise<void>;
}

/** Where an uploaded file's bytes live in the bucket: one prefix per workspace. */
export function storageKeyFor(workspaceId: string, fileId: string): string {
  return `${workspaceId}/${fileId}`;
}
