import type { MiddlewareHandler } from 'hono';
import { UPLOAD_MAX_BYTES_ANY } from '../media/upload-types';
import type { AppEnv } from './env';

/** Room for the `operations` and `map` parts and the multipart framing around the file. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

/** The largest multipart request `/graphql` reads: one file at the largest cap, plus framing. */
export const MAX_MULTIPART_BYTES = UPLOAD_MAX_BYTES_ANY + MULTIPART_OVERHEAD_BYTES;

/**
 * Refuses a multipart request whose declared length is past any upload cap with 413 before its
 * body is read: the runtime would otherwise buffer all of it to parse the form. Requests
 * without a length (chunked) are read, and the upload check still refuses what is too large.
 */
export function refuseOversizeUploads(): MiddlewareHandler<AppEnv> {
  return async function uploadLimit(c, next) {
    const type = c.req.header('content-type') ?? '';
    const length = Number(c.req.header('content-length') ?? '0');
    if (type.toLowerCase().startsWith('multipart/') && length > MAX_MULTIPART_BYTES) {
      return c.json(
        {
          errors: [
            {
              message: `The request is larger than the ${MAX_MULTIPART_BYTES} bytes an upload may be`,
              extensions: { code: 'PAYLOAD_TOO_LARGE' },
            },
          ],
        },
        413,
      );
    }
    await next();
  };
}
