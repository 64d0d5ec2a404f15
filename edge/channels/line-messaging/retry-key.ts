import { uuidV7Millis } from '../../../workflow/ids';
import { permanentFailure, type SendOutcome } from '../types';

/**
 * How long LINE remembers a retry key. "Retrying a failed API request" (Messaging API docs,
 * now titled "Retry failed API requests"): "The retry key is valid for 24 hours after attempting
 * the first request. The request retries using the retry key should be designed to run within 24
 * hours." Within that time a request with a key already accepted is not executed again: "If the
 * request has already been accepted, the re-request is blocked and the status code 409 is
 * returned" (409 Conflict: "An API request with the same retry key has already been accepted").
 * After it, nothing says LINE still knows the key, so a re-send may be executed a second time.
 */
export const LINE_RETRY_KEY_VALIDITY_MS = 24 * 60 * 60 * 1000;

/**
 * How long after the key was made we still send with it: 23 hours, an hour inside LINE's 24.
 * The key's time is when dispatch made the delivery id, just before the visit's first claim and
 * so never after LINE first saw the key (that only shortens our window). The hour covers what
 * could make a send we allow land after LINE's 24 hours: the call itself (the send timeout,
 * seconds), clocks (the Worker's and LINE's, and the uuid package nudging a v7 id's time a few
 * ms ahead when many are made at once), and LINE counting its 24 hours less exactly than
 * written (an expiring store dropping a key early). A retry that comes in the 24th hour is failed
 * instead of sent: rare (it takes several attempts spread over a day, e.g. long Retry-After
 * hints), and safe, since the failure is routed like any other.
 */
export const LINE_RETRY_KEY_SAFE_MS = 23 * 60 * 60 * 1000;

/**
 * Why a push with this retry key must not be sent now, or null when it may be.
 *
 * The retry key is the delivery id, which dispatch makes at the visit's first claim as a UUID
 * version 7 (edge/dispatch/claim.ts, load.ts: `delivery_id = coalesce(r.delivery_id, <new v7>)`)
 * and keeps for every later attempt, so its own timestamp is the earliest moment LINE can have
 * seen it. The adapter is not told whether an earlier attempt reached LINE, nor how it ended:
 * any attempt with a key this old may be the retry of a push whose outcome was unknown (a
 * timeout, a 5xx after LINE executed it), and LINE would no longer answer that retry with 409.
 * It fails `network` (the reason of the unknown outcome it follows, as when attempts run out)
 * and not retryable: every later attempt would be later still.
 *
 * An id that is not a UUID v7 carries no time, so how old its key is cannot be told; dispatch
 * never makes one, and such a send fails the same way rather than risk a second delivery.
 */
export function expiredRetryKey(deliveryId: string, now: Date): SendOutcome | null {
  const madeAt = uuidV7Millis(deliveryId);
  if (madeAt === null) {
    return permanentFailure(
      'network',
      `not sent: the LINE retry key (delivery id ${deliveryId}) is not a UUID version 7, so the time of its first use is unknown; LINE remembers a retry key for 24 hours only, so if an earlier attempt's outcome was unknown, sending again could deliver the message twice`,
    );
  }
  const ageMs = now.getTime() - madeAt;
  if (ageMs < LINE_RETRY_KEY_SAFE_MS) return null;
  const hours = Math.floor(ageMs / (60 * 60 * 1000));
  return permanentFailure(
    'network',
    `not sent: this delivery's first attempt was ${hours} h ago, and LINE's retry key (X-Line-Retry-Key) may have expired (LINE keeps it for 24 hours; we stop at 23), so if an earlier attempt reached LINE, sending again could deliver the message twice`,
  );
}
