import type { Context, MiddlewareHandler } from 'hono';
import { MAX_MULTIPART_BYTES } from '../media/upload-types';
import type { AppEnv } from './env';

export { MAX_MULTIPART_BYTES };

function payloadTooLarge(c: Context<AppEnv>): Response {
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

/**
 * Refuses a multipart request past any upload cap with 413: one whose declared length is past
 * it before its body is read, since the runtime would otherwise buffer all of it to parse the
 * form. A request without a length (chunked) is passed on through a counter that fails the body
 * once it passes the cap, so that the form parser stops reading there; the answer is then the
 * same 413, where the parser would have answered 400 "invalid multipart data".
 */
export function refuseOversizeUploads(): MiddlewareHandler<AppEnv> {
  return async function uploadLimit(c, next) {
    const type = c.req.header('content-type') ?? '';
    const body = c.req.raw.body;
    if (!type.toLowerCase().startsWith('multipart/') || !body) return next();
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > MAX_MULTIPART_BYTES) return payloadTooLarge(c);
      return next();
    }
    let read = 0;
    let exceeded = false;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          read += chunk.byteLength;
          if (read > MAX_MULTIPART_BYTES) {
            exceeded = true;
            controller.error(new Error('The upload is larger than any upload may be'));
            return;
          }
          controller.enqueue(chunk);
        },
      }),
    );
    // `duplex` is required by Node's fetch for a streamed body (workerd ignores it).
    c.req.raw = new Request(c.req.raw, { body: counted, duplex: 'half' } as RequestInit);
    await next();
    if (exceeded) {
      // Cleared first: Hono would otherwise copy the parser's answer's headers (its
      // Content-Length among them) onto the 413.
      c.res = undefined;
      c.res = payloadTooLarge(c);
    }
  };
}
