import { standardContactKey } from './variables';

/** Longest e-mail address that fits a SMTP forward path (RFC 5321 §4.5.3.1.3). */
export const MAX_EMAIL_LENGTH = 254;
/** Longest custom field key. */
export const MAX_CUSTOM_FIELD_KEY_LENGTH = 64;

// E.164: a country code starting 1–9, at most 15 digits in all, and at least 7: the shortest
// numbers in use are a three-digit country code and a four-digit number, such as Niue's fixed
// lines (+683 7012) and Saint Helena's four-digit numbers (+290 8xxx) (libphonenumber's
// PhoneNumberMetadata.xml: possible lengths NU 4 and 7, SH 4 and 5). A shorter string is a
// typo or a fragment of a number, which no provider can send to.
const E164 = /^\+[1-9]\d{6,14}$/;
// WhatsApp Cloud API, "Business-scoped user IDs": an ISO 3166 alpha-2 country code, a period,
// then up to 128 alphanumerics; a parent BSUID has `ENT.` after the country code.
const BUSINESS_SCOPED_USER_ID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;
/** Longest label of a domain name (RFC 1035 §2.3.4: 63 octets). */
const MAX_DOMAIN_LABEL_LENGTH = 63;
/** Longest local part (RFC 5321 §4.5.3.1.1: 64 octets). */
const MAX_LOCAL_PART_LENGTH = 64;
// A deliberately plain addr-spec (RFC 5321 §4.1.2 dot-string @ domain): atoms of atext joined by
// single dots on the left (no leading, trailing or doubled dot, which a server may refuse in
// MAIL FROM or RCPT TO), letters, digits and hyphens in dot-separated labels on the right. No
// spaces, brackets, quotes or line breaks, so an address can go into an SMTP command and a
// header as it is.
const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const COUNTRY_CODE = /^[A-Za-z]{2}$/;
// BCP 47 shape: language, optional script, optional region, variants, extensions, private use.
const LANGUAGE_TAG =
  /^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?$/;
const CUSTOM_FIELD_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How messages name the phone format isE164 takes. */
export const E164_FORMAT = 'E.164 (+ and 7 to 15 digits), e.g. +14155550100';

/** True for an E.164 phone number: `+`, then 7–15 digits, the first 1–9 (e.g. `+14155550100`). */
export function isE164(phone: string): boolean {
  return typeof phone === 'string' && E164.test(phone);
}

/**
 * True for a WhatsApp business-scoped user ID (WhatsApp Cloud API, "Business-scoped user IDs"):
 * the user's two-letter country code in capitals, a period, then up to 128 letters and digits
 * (`US.13491208655302741918`); a parent BSUID, shared by linked business portfolios, has `ENT.`
 * after the country code (`US.ENT.11815799212886844830`). Meta names a user who adopted a
 * username by it, in webhooks, and sends to it as `recipient`.
 */
export function isBusinessScopedUserId(value: string): boolean {
  return typeof value === 'string' && BUSINESS_SCOPED_USER_ID.test(value);
}

/**
 * The one e-mail address check, for contacts, identities, from-addresses and SMTP recipients:
 * a plain addr-spec (no quoted local parts, no address literals) whose local part is a
 * dot-string of at most 64 characters and whose domain has at least two labels, each at most
 * 63 characters, the last not all digits, at most 254 characters in all. Nothing it accepts
 * can break an SMTP command or a header.
 */
export function isEmailAddress(value: string): boolean {
  if (
    typeof value !== 'string' ||
    value.length > MAX_EMAIL_LENGTH ||
    !EMAIL.test(value) ||
    value.indexOf('@') > MAX_LOCAL_PART_LENGTH
  ) {
    return false;
  }
  // A domain name's labels are at most 63 octets (RFC 1035 §2.3.4), and its top-level label is
  // not all digits (RFC 3696 §2): `ada@192.0.2.1` is an IP address written without the
  // brackets of an address literal, which no mail exchanger answers for.
  const labels = value.slice(value.indexOf('@') + 1).split('.');
  return (
    labels.every((label) => label.length <= MAX_DOMAIN_LABEL_LENGTH) &&
    !/^\d+$/.test(labels.at(-1)!)
  );
}

/** True for an ISO 3166-1 alpha-2 shaped code (two letters, any case, e.g. `FR`). */
export function isCountryCode(value: string): boolean {
  return typeof value === 'string' && COUNTRY_CODE.test(value);
}

/**
 * The 249 officially assigned ISO 3166-1 alpha-2 codes (ISO 3166 Maintenance Agency; every one
 * is a region CLDR names), and XK, the user-assigned code Unicode CLDR, the EU and phone
 * numbering use for Kosovo.
 */
const ASSIGNED_COUNTRY_CODES: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ ' +
    'BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM ' +
    'DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS ' +
    'GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN ' +
    'KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ ' +
    'MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM ' +
    'PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV ' +
    'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI ' +
    'VN VU WF WS YE YT ZA ZM ZW XK'
  ).split(' '),
);

/**
 * True for an assigned ISO 3166-1 alpha-2 country code in any case (`FR`, `gb`; also `XK`), so
 * a contact's country is one a message, a filter or a provider can read: `UK` (the United
 * Kingdom is `GB`), `EU`, `ZZ` and other unassigned pairs of letters are not.
 */
export function isAssignedCountryCode(value: string): boolean {
  return isCountryCode(value) && ASSIGNED_COUNTRY_CODES.has(value.toUpperCase());
}

/** Why a country code of the right shape is refused: the usual mistakes, named. */
export function countryCodeHint(value: string): string {
  const code = value.toUpperCase();
  if (code === 'UK') return 'UK is not an ISO 3166-1 code: the United Kingdom is GB';
  if (code === 'EU') return 'EU is not a country: use the member state, e.g. FR';
  return `${code} is not an assigned ISO 3166-1 alpha-2 code`;
}

/**
 * Longest language tag. BCP 47 sets no limit (extensions and private use repeat freely), but a
 * contact's language is shown and rendered as `$contact.language`: 64 characters hold any tag
 * without extensions (RFC 5646 §4.4.1 counts 35 as enough for those) and a few `-u-` keywords.
 */
export const MAX_LANGUAGE_TAG_LENGTH = 64;

/**
 * True for a well-formed BCP 47 language tag such as `en`, `pt-BR` or `zh-Hant-TW`, at most
 * MAX_LANGUAGE_TAG_LENGTH characters.
 */
export function isLanguageTag(value: string): boolean {
  if (typeof value !== 'string' || value.length > MAX_LANGUAGE_TAG_LENGTH) return false;
  if (!LANGUAGE_TAG.test(value)) return false;
  try {
    // Rejects shapes the regex lets through, such as a repeated variant or extension singleton.
    Intl.getCanonicalLocales(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when `key` can name a custom contact field: usable as `$contact.<key>` and not
 * shadowed by a standard field (`Email` would always resolve to the contact's e-mail).
 */
export function isCustomFieldKey(key: string): boolean {
  return (
    typeof key === 'string' &&
    key.length <= MAX_CUSTOM_FIELD_KEY_LENGTH &&
    CUSTOM_FIELD_KEY.test(key) &&
    !standardContactKey(key)
  );
}
