import { eq } from 'drizzle-orm';
import type { Context, Hono } from 'hono';
import { files } from '../../db/schema';
import type { MediaBucket } from '../media/bucket';
import { parseRange } from '../media/byte-range';
import { contentDisposition } from '../media/content-disposition';
import { MEDIA_PATH, MediaLinkSigner, parseLinkedName } from '../media/signed-link';
import { isExtensionOf, storedCharset } from '../media/upload-types';
import { withDatabase } from './database-middleware';
import type { AppEnv } from './env';

/** Kinds a browser shows in place; everything else downloads. */
const INLINE_TYPES = /^(image|video|audio)\//;

/**
 * Headers on every media answer: the bytes are never sniffed into another type, never run as a
 * page (a sandboxed, resource-less CSP), and not kept by shared caches (the link is private).
 */
const SAFE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
  'cache-control': 'private, no-store',
  'referrer-policy': 'no-referrer',
};

/** Longest a client may reuse an answer: an hour, and never past the link's expiry. */
const MAX_CACHE_SECONDS = 60 * 60;

/** The `Content-Type` a stored file is served with: text with its charset. */
function withCharset(contentType: string): string {
  const charset = storedCharset(contentType);
  return charset ? `${contentType}; charset=${charset}` : contentType;
}

/**
 * Whether a `Range` may be served: with no `If-Range`, or one naming the file's current entity
 * tag by strong comparison. Otherwise the whole file is the answer (RFC 9110 §13.1.5: a weak
 * tag, another tag, or a date, since no `Last-Modified` is given out, does not match).
 */
function ifRangeHolds(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true;
  const validator = ifRange.trim();
  return !validator.startsWith('W/') && validator === etag;
}

function forbidden(c: Context<AppEnv>, reason: string): Response {
  return c.text(reason, 403, SAFE_HEADERS);
}

/**
 * `GET` and `HEAD /media/<file id>.<ext>?expires=…&signature=…` (or without `.<ext>`, as links
 * were first given out): the bytes of an uploaded library file, for whoever holds a valid,
 * unexpired link (edge/media/signed-link.ts). Anything else answers 403 alike (a file that does
 * not exist, a URL-registered file, an extension that is not the file type's, a tampered or
 * expired link), so links reveal nothing about other files; `/media` itself lists nothing (404).
 * A single `Range` is answered 206 with `Content-Range` (players seek in video this way), unless
 * an `If-Range` names another version of the file.
 */
export function mediaRoutes(app: Hono<AppEnv>): void {
  app.on(['GET', 'HEAD'], `${MEDIA_PATH}/:name`, withDatabase(), async function media(c) {
    const bucket = c.env.MEDIA_BUCKET as MediaBucket | undefined;
    const named = parseLinkedName(c.req.param('name'));
    if (!bucket || !named) return forbidden(c, 'Forbidden');
    const [file] = await c.var.db.select().from(files).where(eq(files.id, named.fileId));
    if (!file?.storageKey) return forbidden(c, 'Forbidden');
    if (named.extension !== null && !isExtensionOf(named.extension, file.contentType)) {
      return forbidden(c, 'Forbidden');
    }
    const signer = new MediaLinkSigner(c.var.config.credentialsKey, new URL(c.req.url).origin);
    const check = await signer.check(
      file,
      c.req.query('expires') ?? null,
      c.req.query('signature') ?? null,
      new Date(),
    );
    if (check === 'expired') return forbidden(c, 'This link has expired');
    if (check !== 'ok') return forbidden(c, 'Forbidden');

    const headers: Record<string, string> = {
      ...SAFE_HEADERS,
      'content-type': withCharset(file.contentType),
      'content-disposition': contentDisposition(
        INLINE_TYPES.test(file.contentType) ? 'inline' : 'attachment',
        file.name,
      ),
      'accept-ranges': 'bytes',
      'cache-control': `private, max-age=${Math.max(
        0,
        Math.min(MAX_CACHE_SECONDS, Number(c.req.query('expires')) - Math.floor(Date.now() / 1000)),
      )}`,
    };
    const head = await bucket.head(file.storageKey);
    if (!head) return forbidden(c, 'Forbidden');
    headers.etag = head.httpEtag;
    const range = ifRangeHolds(c.req.header('if-range'), head.httpEtag)
      ? parseRange(c.req.header('range') ?? null, head.size)
      : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable') {
      return c.body(null, 416, { ...headers, 'content-range': `bytes */${head.size}` });
    }
    const isHead = c.req.method === 'HEAD';
    if (range.kind === 'partial') {
      const { offset, length } = range.range;
      headers['content-range'] = `bytes ${offset}-${offset + length - 1}/${head.size}`;
      headers['content-length'] = String(length);
      if (isHead) return c.body(null, 206, headers);
      const object = await bucket.get(file.storageKey, { range: { offset, length } });
      if (!object?.body) return forbidden(c, 'Forbidden');
      return c.body(object.body, 206, headers);
    }
    headers['content-length'] = String(head.size);
    if (isHead) return c.body(null, 200, headers);
    const object = await bucket.get(file.storageKey);
    if (!object?.body) return forbidden(c, 'Forbidden');
    return c.body(object.body, 200, headers);
  });
}
