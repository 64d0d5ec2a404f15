import { CHANNEL_CAPABILITIES } from './channel-capabilities';
import type { ChannelType } from './channel-types';
import { isE164, isEmailAddress } from './contact-fields';
import type { ValidationCode } from './validation-issue';

/** Longest address an identity may hold. */
export const MAX_ADDRESS_LENGTH = 320;

/**
 * Ids a network assigns to the people who write to a business. Messenger PSIDs and Instagram
 * IGSIDs are numeric (Messenger Platform, "Page-scoped ID"); Telegram chat ids are integers,
 * negative for groups (Bot API, "Chat"); LINE user ids are `U` and 32 hex digits (Messaging API,
 * "Source user"); Viber ids are opaque base64-like strings (REST Bot API, "sender.id").
 */
const NETWORK_IDS: Partial<Record<ChannelType, { pattern: RegExp; message: string }>> = {
  messenger: { pattern: /^\d{1,32}$/, message: 'Must be a page-scoped id' },
  instagram: { pattern: /^\d{1,32}$/, message: 'Must be an Instagram-scoped id' },
  telegram: { pattern: /^-?\d{1,32}$/, message: 'Must be a chat id' },
  line: { pattern: /^U[0-9a-f]{32}$/, message: 'Must be a LINE user id (U and 32 hex digits)' },
  viber: { pattern: /^[A-Za-z0-9+/=_-]{1,64}$/, message: 'Must be a Viber user id' },
};

/**
 * Why `address` cannot address a contact on a channel of `type` (the code and message an API
 * error carries), or null when it can: an e-mail address for email, E.164 for phone networks,
 * the network's own id format otherwise. Custom channels take any address.
 */
export function addressProblem(
  type: ChannelType,
  address: string,
): { code: ValidationCode; message: string } | null {
  if (!address) return { code: 'INVALID_VALUE', message: 'An address is required' };
  if (address.length > MAX_ADDRESS_LENGTH) {
    return { code: 'INVALID_VALUE', message: `At most ${MAX_ADDRESS_LENGTH} characters` };
  }
  switch (CHANNEL_CAPABILITIES[type].recipient) {
    case 'email':
      return isEmailAddress(address)
        ? null
        : { code: 'INVALID_EMAIL', message: 'Not an email address' };
    case 'phone':
      return isE164(address)
        ? null
        : { code: 'INVALID_PHONE', message: 'Must be E.164, e.g. +14155550100' };
    case 'identity': {
      const format = NETWORK_IDS[type];
      return !format || format.pattern.test(address)
        ? null
        : { code: 'INVALID_VALUE', message: format.message };
    }
  }
}
