import { checkOutboundUrl } from '../security/outbound-url';
import { RESPONSE_EXCERPT_BYTES } from './limits';

/** What one attempt produced, as `webhook_attempts` records it. */
export interface AttemptResult {
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  succeeded: boolean;
}

export interface PostOptions {
  timeoutMs: number;
  /** Local development and tests only: loopback and private targets allowed. */
  allowPrivateUrls: boolean;
}

/**
 * Reads at most `limit` bytes of a body and cancels the rest, so that an endpoint answering
 * with a huge (or endless) body costs us 1 KB. `Response.text()` would read it all. A body that
 * stops short (the timeout, a dropped connection) gives what came: the status already answered,
 * and a 2xx whose body then hung is an event the endpoint accepted, not one to send again.
 */
async function readExcerpt(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } catch {
    // What was read is the excerpt.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(length, limit));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  // A multi-byte character cut at the limit becomes U+FFFD rather than failing the attempt.
  return new TextDecoder().decode(bytes);
}

/**
 * POSTs one webhook: the URL is checked against the SSRF rules again at send time (the rules
 * or the URL may have changed since it was saved), redirects are not followed (a 3xx is a
 * failed attempt: following could lead a checked URL to a private one), the call is bounded by
 * `timeoutMs` and the body read by RESPONSE_EXCERPT_BYTES. 2xx is success. Never throws.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<AttemptResult> {
  const checked = checkOutboundUrl(url, { allowPrivate: options.allowPrivateUrls });
  if (!checked.ok) {
    return {
      statusCode: null,
      latencyMs: 0,
      responseExcerpt: null,
      error: `refused: ${checked.detail}`,
      succeeded: false,
    };
  }
  const started = Date.now();
  try {
    const response = await fetch(checked.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const excerpt = await readExcerpt(response, RESPONSE_EXCERPT_BYTES);
    const succeeded = response.status >= 200 && response.status < 300;
    return {
      statusCode: response.status,
      latencyMs: Date.now() - started,
      responseExcerpt: excerpt,
      error: succeeded ? null : `the endpoint answered HTTP ${response.status}`,
      succeeded,
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const detail =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${options.timeoutMs} ms`
        : `could not be reached: ${error instanceof Error ? error.message : String(error)}`;
    return {
      statusCode: null,
      latencyMs: Date.now() - started,
      responseExcerpt: null,
      error: detail,
      succeeded: false,
    };
  }
}
