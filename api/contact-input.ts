import type { contacts } from '../db/schema';
import {
  countryCodeHint,
  E164_FORMAT,
  isAssignedCountryCode,
  isCountryCode,
  isCustomFieldKey,
  isE164,
  isEmailAddress,
  isLanguageTag,
  MAX_CUSTOM_FIELD_KEY_LENGTH,
  MAX_LANGUAGE_TAG_LENGTH,
} from '../workflow/contact-fields';
import type { ContactFields } from '../workflow/variables';
import { checkNameCharacters, type IssueList } from './validation';

/** What a client may set on a contact; `null` clears a field, `undefined` leaves it alone. */
export type ContactFieldsInput = Omit<ContactFields, 'customFields'> & {
  /** Validated here: arbitrary JSON from the client until it is a string → string map. */
  customFields?: unknown;
};

const MAX_NAME_LENGTH = 200;
const MAX_CUSTOM_FIELDS = 100;
const MAX_CUSTOM_VALUE_LENGTH = 2000;

/** Trimmed text, or null for blank: an empty first name is no first name. */
function optionalText(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * Validates contact fields and returns the normalised columns to write (country upper-cased,
 * language canonicalised). Only fields present in `input` appear in the result.
 */
export function parseContactFields(
  input: ContactFieldsInput,
  issues: IssueList,
): Partial<typeof contacts.$inferInsert> {
  const values: Partial<typeof contacts.$inferInsert> = {};
  for (const key of ['firstName', 'lastName'] as const) {
    const raw = input[key];
    const value = optionalText(raw);
    if (value === undefined) continue;
    // Names are shown in lists and conversations: one line, no bidirectional overrides.
    if (raw && !checkNameCharacters(issues, key, raw)) continue;
    if (value && value.length > MAX_NAME_LENGTH) {
      issues.add('INVALID_VALUE', key, `At most ${MAX_NAME_LENGTH} characters`);
    }
    values[key] = value;
  }
  const email = optionalText(input.email);
  if (email !== undefined) {
    if (email && !isEmailAddress(email)) {
      issues.add('INVALID_EMAIL', 'email', `"${email}" is not an email address`);
    }
    values.email = email;
  }
  const phone = optionalText(input.phone);
  if (phone !== undefined) {
    if (phone && !isE164(phone)) {
      issues.add('INVALID_PHONE', 'phone', `Phone numbers must be ${E164_FORMAT}`);
    }
    values.phone = phone;
  }
  const country = optionalText(input.country);
  if (country !== undefined) {
    if (country && !isCountryCode(country)) {
      issues.add('INVALID_VALUE', 'country', 'Use an ISO 3166-1 alpha-2 code such as FR');
    } else if (country && !isAssignedCountryCode(country)) {
      issues.add('INVALID_VALUE', 'country', countryCodeHint(country));
    }
    values.country = country?.toUpperCase() ?? null;
  }
  const language = optionalText(input.language);
  if (language !== undefined) {
    if (language && !isLanguageTag(language)) {
      issues.add(
        'INVALID_VALUE',
        'language',
        `Use a BCP 47 language tag such as en or pt-BR, at most ${MAX_LANGUAGE_TAG_LENGTH} characters`,
      );
      values.language = language;
    } else {
      values.language = language ? Intl.getCanonicalLocales(language)[0]! : null;
    }
  }
  if (input.customFields !== undefined) {
    values.customFields = parseCustomFields(input.customFields, issues);
  }
  return values;
}

/** A JSON object of string values whose keys can be used as `$contact.<key>`. */
function parseCustomFields(value: unknown, issues: IssueList): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.add('INVALID_VALUE', 'customFields', 'Must be a JSON object of strings');
    return {};
  }
  const entries = Object.entries(value);
  // Too many fields is one issue: checking (and reporting) each of them would let one request
  // ask for a response as long as its input.
  if (entries.length > MAX_CUSTOM_FIELDS) {
    issues.add('INVALID_VALUE', 'customFields', `At most ${MAX_CUSTOM_FIELDS} custom fields`);
    return {};
  }
  const fields: [string, string][] = [];
  for (const [key, field] of entries) {
    if (key.length > MAX_CUSTOM_FIELD_KEY_LENGTH) {
      // An overlong key is not echoed back whole (nor made the issue's path).
      issues.add(
        'INVALID_VALUE',
        'customFields',
        `A key of ${key.length} characters (at most ${MAX_CUSTOM_FIELD_KEY_LENGTH})`,
      );
    } else if (!isCustomFieldKey(key)) {
      issues.add(
        'INVALID_VALUE',
        `customFields.${key}`,
        `Keys are letters, digits and _ (not starting with a digit), at most ${MAX_CUSTOM_FIELD_KEY_LENGTH} characters, and not a standard contact field`,
      );
    } else if (typeof field !== 'string') {
      issues.add('INVALID_VALUE', `customFields.${key}`, 'Custom field values are strings');
    } else if (field.length > MAX_CUSTOM_VALUE_LENGTH) {
      issues.add(
        'INVALID_VALUE',
        `customFields.${key}`,
        `At most ${MAX_CUSTOM_VALUE_LENGTH} characters`,
      );
    } else {
      fields.push([key, field]);
    }
  }
  // fromEntries defines each key: `fields.__proto__ = '…'` would set no property at all.
  return Object.fromEntries(fields);
}
