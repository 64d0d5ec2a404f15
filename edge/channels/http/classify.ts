import { permanentFailure, type SendOutcome, transientFailure } from '../types';
import { parseRetryAfter } from './retry-after';

/**
 * The one classification of provider HTTP answers that every HTTP adapter shares (a provider's
 * own error table runs first and falls back to this): 401/403 are rejected credentials; 429 is
 * a rate limit, retried after the provider's `Retry-After`; 408 and 5xx are transient network
 * failures; 413 is a message too large (invalid content); a redirect (never followed: it could
 * lead a checked URL elsewhere) and other 4xx are permanent rejections. A call that gets no
 * answer is a transient network failure.
 */

/** What a provider answered. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** How much of an error body is kept in a failure detail. */
export const DETAIL_BODY_CHARS = 200;

/** `<who> answered HTTP <status>: <start of body>` for failure details. */
export function httpDetail(who: string, answer: HttpAnswer): string {
  const body = answer.body.trim();
  return `${who} answered HTTP ${answer.status}${body ? `: ${body.slice(0, DETAIL_BODY_CHARS)}` : ''}`;
}

/** The outcome of a non-2xx answer by status code alone. */
export function classifyHttpStatus(answer: HttpAnswer, who: string, now: Date): SendOutcome {
  const detail = httpDetail(who, answer);
  const { status, headers } = answer;
  if (status === 401 || status === 403) return permanentFailure('credentials_rejected', detail);
  if (status === 429) {
    return transientFailure(
      'rate_limited',
      detail,
      parseRetryAfter(headers.get('retry-after'), now),
    );
  }
  if (status === 408 || status >= 500) {
    return transientFailure('network', detail, parseRetryAfter(headers.get('retry-after'), now));
  }
  // 413 Content Too Large (RFC 9110 §15.5.14): the request, that is the message, is larger than
  // the server takes. The message is the problem, and the same message would be refused again.
  if (status === 413) return permanentFailure('content_invalid', detail);
  return permanentFailure('rejected_by_provider', detail);
}

/** The outcome of a call that produced no answer: a timeout or a connection failure. */
export function classifyFetchError(error: unknown, who: string, timeoutMs: number): SendOutcome {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return transientFailure('network', `${who} did not answer within ${timeoutMs} ms`);
  }
  const detail = error instanceof Error ? error.message : String(error);
  return transientFailure('network', `${who} could not be reached: ${withoutUrlPaths(detail)}`);
}

/**
 * `text` with every URL cut to its origin. A runtime's network error may name the URL it
 * called, and some providers put a secret in the path (Telegram's `/bot<token>/…`); the detail
 * is stored on the delivery and shown by the API.
 */
export function withoutUrlPaths(text: string): string {
  return text.replace(/\b(https?:\/\/[^\s/?#"'<>]+)[/?#][^\s"'<>]*/gi, '$1/…');
}

/** A provider call's answer, or the outcome of a call that got none. */
export type HttpCall = { ok: true; answer: HttpAnswer } | { ok: false; outcome: SendOutcome };

/**
 * Calls a provider within `timeoutMs` without following redirects, and reads the whole answer
 * (so that the connection is released). Never throws for network trouble.
 *
 * `sends`: the call sends a message, and its status line decides. A 2xx whose body then breaks
 * off or outlasts the time (a stalled proxy, a dropped connection) is still the provider's
 * acceptance: it is answered with an empty body, never as a "no answer" network failure that
 * dispatch would retry, delivering the message twice through a provider that takes no
 * idempotency key. (Other calls, such as a connection check that needs the body, keep the
 * failure.)
 */
export async function callProvider(
  url: string | URL,
  init: RequestInit,
  { who, timeoutMs, sends = false }: { who: string; timeoutMs: number; sends?: boolean },
): Promise<HttpCall> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { ok: false, outcome: classifyFetchError(error, who, timeoutMs) };
  }
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    const accepted = response.status >= 200 && response.status < 300;
    if (!sends || !accepted) {
      return { ok: false, outcome: classifyFetchError(error, who, timeoutMs) };
    }
    body = '';
  }
  return { ok: true, answer: { status: response.status, headers: response.headers, body } };
}

/** True for a 2xx answer. */
export function isSuccess(answer: HttpAnswer): boolean {
  return answer.status >= 200 && answer.status < 300;
}
