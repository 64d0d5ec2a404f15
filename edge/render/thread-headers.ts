/**
 * Email threading headers (RFC 5322 §3.6.4). Every email one workflow sends one contact on one
 * channel joins one thread: each message has its own `Message-ID`, `In-Reply-To` names the
 * previous message, and `References` lists the thread's earlier messages, so mail clients
 * group them.
 */

/** The threading headers of one email; ids include their angle brackets. */
export interface ThreadHeaders {
  messageId: string;
  inReplyTo?: string;
  references: string[];
}

/**
 * How many ids `References` keeps. Long threads would otherwise grow the header without end;
 * RFC 5322 §3.6.4 lets a message trim the list as long as the thread's first message stays,
 * which is what clients use to find the thread's root.
 */
export const MAX_REFERENCES = 20;

// dot-atom-text (RFC 5322 §3.2.3) on both sides of the `@`; no brackets, spaces or CR/LF.
const ATEXT_ID = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const MESSAGE_ID = /^<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+>$/;

/**
 * The `Message-ID` of a delivery: `<deliveryId@domain>`. It is derived, not random, so every
 * retry of the same delivery carries the same id (receivers and our thread records then see
 * one message, never two).
 */
export function messageIdFor(deliveryId: string, domain: string): string {
  const host = domain.trim().toLowerCase().replace(/\.$/, '');
  if (!ATEXT_ID.test(deliveryId)) {
    throw new TypeError(`Delivery id ${JSON.stringify(deliveryId)} cannot form a Message-ID`);
  }
  if (!ATEXT_ID.test(host)) {
    throw new TypeError(`Domain ${JSON.stringify(domain)} cannot form a Message-ID`);
  }
  return `<${deliveryId}@${host}>`;
}

/** True when `value` is one well-formed `<left@right>` message id (safe to put in a header). */
export function isMessageId(value: string): boolean {
  return MESSAGE_ID.test(value);
}

/**
 * The headers for `messageId` given the ids of the thread's earlier messages, oldest first.
 * When the message's own id is already in the list (a retry after the thread was recorded),
 * only the ids before it count, so a retried send carries the same headers as the first
 * attempt. Malformed ids are dropped.
 */
export function threadHeaders(
  previousMessageIds: readonly string[],
  messageId: string,
): ThreadHeaders {
  const own = previousMessageIds.indexOf(messageId);
  const earlier = own === -1 ? previousMessageIds : previousMessageIds.slice(0, own);
  const previous = earlier.filter(isMessageId);
  const last = previous.at(-1);
  if (last === undefined) return { messageId, references: [] };
  const references =
    previous.length > MAX_REFERENCES
      ? [previous[0] as string, ...previous.slice(-(MAX_REFERENCES - 1))]
      : previous;
  return { messageId, inReplyTo: last, references };
}
