import { fromBase64, toBase64Url } from '../../db/encoding';
import { isUuid } from '../../workflow/ids';
import { linkExtension } from './upload-types';

/**
 * Signed, expiring links to library files, served by the Worker at `/media/<file id>.<ext>`
 * (edge/host/media-routes.ts; the extension is the file type's, see linkExtension), so that providers (and email readers, past the attachment cap)
 * fetch the bytes without an API key. The signature is HMAC-SHA256 over the link version, the
 * file's workspace, its id and the expiry (seconds since the epoch), keyed with a key derived
 * from CREDENTIALS_KEY by HKDF (RFC 5869), so that deployments need no further secret and a
 * leaked link key would not reveal the credentials key. Changing CREDENTIALS_KEY invalidates
 * every link given out.
 */

/**
 * The path links are served under: `/media/<file id>.<ext>` with `expires` and `signature`.
 * Links given out before the extension was added (`/media/<file id>`) are served alike.
 */
export const MEDIA_PATH = '/media';

/** How long a link given to a provider lives: it fetches at once, and may retry for a day. */
export const PROVIDER_LINK_SECONDS = 7 * 24 * 60 * 60;

/** How long a link in an email lives: people open email weeks later. */
export const EMAIL_LINK_SECONDS = 90 * 24 * 60 * 60;

/**
 * Expiries are rounded up to this step, so that every send of one file in the same hour
 * carries the same link (and a compiled email template that holds it stays valid).
 */
const EXPIRY_STEP_SECONDS = 60 * 60;

/** When a link given out `now` for a provider or an email expires. */
export function linkExpiry(use: 'provider' | 'email', now: Date): Date {
  const seconds = use === 'email' ? EMAIL_LINK_SECONDS : PROVIDER_LINK_SECONDS;
  const end = now.getTime() / 1000 + seconds;
  return new Date(Math.ceil(end / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS * 1000);
}

const LINK_VERSION = 'v1';
const HKDF_INFO = 'sendflow media links v1';
const encoder = new TextEncoder();

/**
 * The file a link names: its id and the workspace it belongs to (both signed), and its type,
 * whose extension the link's path ends in (not signed: the route serves the stored type).
 */
export interface LinkedFile {
  id: string;
  workspaceId: string;
  contentType?: string;
}

/** What a link's last path segment names: the file id, and the extension after it, if any. */
export function parseLinkedName(
  segment: string,
): { fileId: string; extension: string | null } | null {
  const match = /^([^.]+)(?:\.([a-z0-9]{1,8}))?$/.exec(segment);
  if (!match?.[1] || !isUuid(match[1])) return null;
  return { fileId: match[1], extension: match[2] ?? null };
}

function signedContent(file: LinkedFile, expires: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${LINK_VERSION}\n${file.workspaceId}\n${file.id}\n${expires}`);
}

/** What a link's query says and whether it holds. */
export type LinkCheck = 'ok' | 'expired' | 'invalid';

/** Signs and checks media links for one deployment (its origin and CREDENTIALS_KEY). */
export class MediaLinkSigner {
  #key: Promise<CryptoKey> | undefined;

  /**
   * `credentialsKey` is the deployment's CREDENTIALS_KEY (base64 of 32 bytes); `origin` the
   * public origin links point at (PUBLIC_URL), e.g. `https://sendflow.example.com`.
   */
  constructor(
    private readonly credentialsKey: string,
    readonly origin: string,
  ) {}

  /** The HMAC key, derived on first use (most API requests never sign a link). */
  #linkKey(): Promise<CryptoKey> {
    const secret = this.credentialsKey;
    this.#key ??= (async function deriveLinkKey() {
      const material = await crypto.subtle.importKey('raw', fromBase64(secret), 'HKDF', false, [
        'deriveKey',
      ]);
      return crypto.subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: encoder.encode(HKDF_INFO) },
        material,
        { name: 'HMAC', hash: 'SHA-256', length: 256 },
        false,
        ['sign', 'verify'],
      );
    })();
    return this.#key;
  }

  /** A link to `file` valid until `expiresAt` (rounded down to the second). */
  async link(file: LinkedFile, expiresAt: Date): Promise<string> {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const mac = await crypto.subtle.sign(
      'HMAC',
      await this.#linkKey(),
      signedContent(file, expires),
    );
    const extension = file.contentType ? linkExtension(file.contentType) : null;
    const name = extension ? `${file.id}.${extension}` : file.id;
    const url = new URL(`${MEDIA_PATH}/${encodeURIComponent(name)}`, this.origin);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', toBase64Url(new Uint8Array(mac)));
    return url.toString();
  }

  /**
   * Checks a link's `expires` and `signature` for `file` at `now`. The signature is checked
   * first (with `crypto.subtle.verify`, which compares in constant time), so an edited expiry
   * reads as invalid, not as expired.
   */
  async check(
    file: LinkedFile,
    expires: string | null,
    signature: string | null,
    now: Date,
  ): Promise<LinkCheck> {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return 'invalid';
    if (!/^[A-Za-z0-9_-]{43}$/.test(signature)) return 'invalid';
    const valid = await crypto.subtle.verify(
      'HMAC',
      await this.#linkKey(),
      fromBase64(signature),
      signedContent(file, Number(expires)),
    );
    if (!valid) return 'invalid';
    return Number(expires) * 1000 < now.getTime() ? 'expired' : 'ok';
  }
}
