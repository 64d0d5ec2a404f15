import { CHANNEL_CAPABILITIES } from './channel-capabilities';
import type { ChannelType } from './channel-types';
import { E164_FORMAT, isBusinessScopedUserId, isE164, isEmailAddress } from './contact-fields';
import type { ValidationCode } from './validation-issue';

/** Longest address an identity may hold. */
export const MAX_ADDRESS_LENGTH = 320;

/**
 * Ids a network assigns to the people who write to a business. Messenger PSIDs and Instagram
 * IGSIDs are numeric (Messenger Platform, "Page-scoped ID"); Telegram chat ids are integers,
 * negative for groups (Bot API, "Chat"); LINE user ids are `U` and 32 hex digits (Messaging API,
 * "Source user"); Viber ids are opaque base64-like strings (REST Bot API, "sender.id").
 *
 * A numeric id is written as the provider writes it, so one chat has one address on a channel:
 * no leading zero, no `+` (and no `-0`). `00123`, `+123` or `-00123` would name the same user or
 * chat as `123` or `-123` yet be stored as another identity; each is refused with its canonical
 * form (`numericIdProblem`) rather than rewritten, as the API stores the address it is given.
 */
const NETWORK_IDS: Partial<Record<ChannelType, { pattern: RegExp; message: string }>> = {
  messenger: { pattern: /^[1-9]\d{0,31}$/, message: 'Must be a page-scoped id' },
  instagram: { pattern: /^[1-9]\d{0,31}$/, message: 'Must be an Instagram-scoped id' },
  telegram: { pattern: /^-?[1-9]\d{0,31}$/, message: 'Must be a chat id' },
  line: { pattern: /^U[0-9a-f]{32}$/, message: 'Must be a LINE user id (U and 32 hex digits)' },
  viber: { pattern: /^[A-Za-z0-9+/=_-]{1,64}$/, message: 'Must be a Viber user id' },
};

/** The networks whose ids are numbers (Telegram's signed). */
const NUMERIC_IDS: ReadonlySet<ChannelType> = new Set(['messenger', 'instagram', 'telegram']);

/**
 * The id `address` spells with a `+` or leading zeros (`+00123` → `123`; on Telegram `-00123` →
 * `-123`), or null when it is no such spelling of a valid id.
 */
function canonicalNumericId(type: ChannelType, address: string): string | null {
  const match = /^(\+|-)?0*(\d+)$/.exec(address);
  if (!match) return null;
  const [, sign, digits = ''] = match;
  if (sign === '-' && type !== 'telegram') return null;
  const canonical = `${sign === '-' ? '-' : ''}${digits.replace(/^0+/, '')}`;
  return NETWORK_IDS[type]?.pattern.test(canonical) ? canonical : null;
}

/**
 * The providers through which a WhatsApp channel also sends to a user's business-scoped user ID
 * (or parent BSUID) instead of a phone, each with how a refusal names it:
 *
 * - Meta's Cloud API takes it as `recipient` ("Business-scoped user IDs";
 *   edge/channels/whatsapp-meta).
 * - 360dialog serves the same Cloud API behind its own host ("All Cloud API actions are
 *   available", "you can also use Meta documentation as a reference": 360dialog docs, "Messaging
 *   API"), and documents BSUIDs there ("Usernames & BSUID"; "BSUIDs and BSUID-sending are already
 *   live": "[alpha] Usernames", "Validation guide"); edge/channels/whatsapp-360dialog.
 * - Vonage's Messages API: "The `to` field now accepts either a phone number or a BSUID for
 *   WhatsApp recipients" (Vonage docs, "Handling WhatsApp Usernames and BSUIDs");
 *   edge/channels/vonage.
 *
 * Twilio, the other WhatsApp provider this deployment connects, is sent to by phone number only.
 */
const BUSINESS_SCOPED_ID_PROVIDERS: ReadonlyMap<string, string> = new Map([
  ['meta', "Meta's Cloud API"],
  ['dialog360', '360dialog'],
  ['vonage', 'Vonage'],
]);

/** Whether a channel of `type` through `provider` sends to a business-scoped user ID. */
export function takesBusinessScopedUserIds(type: ChannelType, provider: string | null): boolean {
  return type === 'whatsapp' && provider !== null && BUSINESS_SCOPED_ID_PROVIDERS.has(provider);
}

/** `Meta's Cloud API, 360dialog or Vonage`: where a business-scoped user ID can be sent to. */
function businessScopedIdProviderNames(): string {
  const names = [...BUSINESS_SCOPED_ID_PROVIDERS.values()];
  return names.length > 1
    ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`
    : (names[0] ?? '');
}

/** The provider API a channel goes through: its registry name and its label for messages. */
export interface AddressProvider {
  name: string | null;
  /** e.g. `WhatsApp (Twilio)`. */
  label: string;
}

/** Why a phone network's `address` is not one of the addresses `provider` sends to, or null. */
function phoneAddressProblem(
  type: ChannelType,
  address: string,
  provider: AddressProvider | undefined,
): { code: ValidationCode; message: string } | null {
  if (isE164(address)) return null;
  const takesBsuid = takesBusinessScopedUserIds(type, provider?.name ?? null);
  if (takesBsuid) {
    return isBusinessScopedUserId(address)
      ? null
      : {
          code: 'INVALID_PHONE',
          message: `Must be ${E164_FORMAT}, or a business-scoped user ID such as US.13491208655302741918`,
        };
  }
  if (type === 'whatsapp' && isBusinessScopedUserId(address)) {
    return {
      code: 'INVALID_PHONE',
      message: `${provider?.label ?? 'This WhatsApp channel'} sends to phone numbers only: must be ${E164_FORMAT} (a business-scoped user ID needs a WhatsApp channel through ${businessScopedIdProviderNames()})`,
    };
  }
  return { code: 'INVALID_PHONE', message: `Must be ${E164_FORMAT}` };
}

/**
 * Why `address` cannot address a contact on a channel of `type` through `provider` (the code
 * and message an API error carries), or null when it can: an e-mail address for email, E.164
 * for phone networks (or, on WhatsApp through a provider that sends to them, a business-scoped
 * user ID), the network's own id format otherwise. Custom channels take any address.
 */
export function addressProblem(
  type: ChannelType,
  address: string,
  provider?: AddressProvider,
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
      return phoneAddressProblem(type, address, provider);
    case 'identity': {
      const format = NETWORK_IDS[type];
      if (!format || format.pattern.test(address)) return null;
      const canonical = NUMERIC_IDS.has(type) ? canonicalNumericId(type, address) : null;
      return {
        code: 'INVALID_VALUE',
        message: canonical
          ? `${format.message} as the network writes it: ${canonical}, without a leading zero or +`
          : format.message,
      };
    }
  }
}
