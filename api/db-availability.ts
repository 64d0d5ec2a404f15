import { sqlState } from './db-errors';

/** Seconds a client should wait before retrying when the database is saturated or away. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * SQLSTATEs that mean "the database cannot take this now", not "this request is wrong"
 * (PostgreSQL manual, Appendix A "PostgreSQL Error Codes"): class 08 connection exceptions,
 * 53300 too_many_connections, 53000 insufficient_resources, 57P03 cannot_connect_now (starting
 * up or shutting down), 57P01 admin_shutdown.
 */
const UNAVAILABLE_STATES = new Set(['53300', '53000', '57P03', '57P01']);

/**
 * What drivers say when no connection could be made or it dropped before an answer: refused or
 * reset TCP, pg's and the Neon driver's "Connection terminated", a WebSocket closed by our
 * local proxy (db/ws-proxy.ts) after its wait for a free connection, or a connect timeout.
 */
const UNAVAILABLE_MESSAGES =
  /ECONNREFUSED|ECONNRESET|Connection terminated|timeout expired|timeout exceeded when trying to connect|WebSocket|no database connection free|too many clients/i;

/**
 * Whether `error` (anywhere on its cause chain) says the database is unavailable for now: the
 * request may be retried as is, so the API answers 503 with Retry-After, never a masked 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return state.startsWith('08') || UNAVAILABLE_STATES.has(state);
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    if (typeof current === 'object') {
      const { message, code, cause } = current as {
        message?: unknown;
        code?: unknown;
        cause?: unknown;
      };
      if (typeof code === 'string' && UNAVAILABLE_MESSAGES.test(code)) return true;
      if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
      current = cause;
    } else {
      return typeof current === 'string' && UNAVAILABLE_MESSAGES.test(current);
    }
  }
  return false;
}
