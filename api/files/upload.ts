import { files } from '../../db/schema';
import { checkUpload, storageKeyFor, UPLOAD_MAX_BYTES_ANY } from '../../edge/media';
import type { ApiContext } from '../context';
import { ValidationError } from '../errors';
import { UploadsUnavailableError } from './errors';

/** The part of a multipart upload the API reads (the web `File` Yoga hands resolvers). */
export interface UploadedFile {
  name: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Stores one uploaded file in the library: checks the name, the bytes' type and size
 * (edge/media/upload-check.ts), writes the bytes to the media bucket under the workspace's
 * prefix, then the row. Refused uploads store nothing; when the row cannot be written, the
 * object just written is removed again.
 */
export async function storeUpload(
  ctx: ApiContext,
  upload: UploadedFile,
  name: string | null | undefined,
): Promise<typeof files.$inferSelect> {
  const bucket = ctx.mediaBucket;
  if (!bucket) throw new UploadsUnavailableError();
  const displayName = name ?? upload.name;
  if (upload.size > UPLOAD_MAX_BYTES_ANY) {
    // Refused before its bytes are read into memory.
    throw new ValidationError([
      { code: 'FILE_TOO_LARGE', path: 'file', message: `${displayName} is too large to upload` },
    ]);
  }
  const bytes = new Uint8Array(await upload.arrayBuffer());
  const checked = await checkUpload(displayName, bytes);
  if (!checked.ok) {
    throw new ValidationError([
      { code: checked.code, path: checked.path, message: checked.message },
    ]);
  }
  const id = crypto.randomUUID();
  const storageKey = storageKeyFor(ctx.workspaceId, id);
  await bucket.put(storageKey, bytes, {
    httpMetadata: { contentType: checked.contentType },
    customMetadata: { workspaceId: ctx.workspaceId, fileId: id },
  });
  try {
    const [row] = await ctx.db
      .insert(files)
      .values({
        id,
        workspaceId: ctx.workspaceId,
        name: checked.name,
        contentType: checked.contentType,
        sizeBytes: checked.sizeBytes,
        storageKey,
      })
      .returning();
    return row!;
  } catch (error) {
    await bucket.delete(storageKey);
    throw error;
  }
}
