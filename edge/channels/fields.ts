import { E164_FORMAT, isE164, isEmailAddress } from '../../workflow/contact-fields';
import { displayNameProblem } from '../../workflow/display-name';
import type { ValidationCode } from '../../workflow/validation-issue';
import { checkOutboundUrl, privateServerHostReason } from '../security/outbound-url';
import type {
  Field,
  FieldContext,
  FieldEnum,
  Fields,
  IssueSink,
  Parsed,
  ParseOptions,
} from './definition';

/**
 * Field declarations for channel settings and credentials (see definition.ts), each with the
 * rule it checks. Messages name the field; codes are the API's validation codes.
 */

/** Longest plain setting (a name, an id); secrets may be longer. */
export const MAX_SETTING_LENGTH = 320;
/** Longest secret (access tokens run to a few hundred characters). */
export const MAX_SECRET_LENGTH = 4096;

const NUMERIC_ID = /^\d{1,32}$/;
// A host name, an IPv4 literal, or an IPv6 literal with or without brackets; no scheme, path,
// port or whitespace.
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+|[0-9A-Fa-f:]+)$/;

interface TextOptions {
  required: boolean;
  description?: string;
  nullableOutput?: boolean;
}

/** The trimmed text, or null when absent or blank (after reporting it when required). */
function presentText(value: unknown, at: FieldContext, required: boolean): string | null {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) {
    if (required) at.issues.add('INVALID_VALUE', at.path, `${at.key} is required`);
    return null;
  }
  if (text.length > MAX_SETTING_LENGTH) {
    at.issues.add('INVALID_VALUE', at.path, `${at.key} is too long`);
  }
  return text;
}

/**
 * One line of text (it may end up in a header, and recipients see a sender's name), trimmed;
 * null when absent. Refused as names are (workflow/display-name.ts): line breaks and other
 * control characters, and bidirectional overrides that would make a sender's name display as
 * another.
 */
export function singleLine(options: TextOptions): Field<string | null> {
  return {
    type: 'string',
    ...options,
    parse(value, at) {
      const text = presentText(value, at, options.required);
      if (text !== null && displayNameProblem(String(value))) {
        at.issues.add(
          'INVALID_VALUE',
          at.path,
          `${at.key} must be one short line, without control or bidirectional formatting characters`,
        );
      }
      return text;
    },
  };
}

/** Trimmed text that must pass `valid`; otherwise `code` with `message` is reported. */
function checkedText(
  options: TextOptions,
  valid: (text: string) => boolean,
  code: ValidationCode,
  message: (key: string, text: string) => string,
): Field<string> {
  return {
    type: 'string',
    ...options,
    parse(value, at) {
      const text = presentText(value, at, options.required);
      if (text !== null && !valid(text)) at.issues.add(code, at.path, message(at.key, text));
      return text ?? '';
    },
  };
}

/** A provider's numeric object id (a phone number id, a page id). */
export function numericId(options: TextOptions): Field<string> {
  return checkedText(
    options,
    (text) => NUMERIC_ID.test(text),
    'INVALID_VALUE',
    (key) => `${key} must be the numeric id`,
  );
}

/** Trimmed text of a documented shape (a provider's SID), e.g. `expected` "MG and 32 hex digits". */
export function matching(
  options: TextOptions & { pattern: RegExp; expected: string },
): Field<string> {
  const { pattern, expected, ...rest } = options;
  return checkedText(
    rest,
    (text) => pattern.test(text),
    'INVALID_VALUE',
    (key) => `${key} must be ${expected}`,
  );
}

/** An e-mail address (the one check in workflow/contact-fields.ts). */
export function emailAddress(options: TextOptions): Field<string> {
  return checkedText(
    options,
    isEmailAddress,
    'INVALID_EMAIL',
    (_key, text) => `"${text}" is not an email address`,
  );
}

/** An E.164 phone number such as +14155550100. */
export function phoneNumber(options: TextOptions): Field<string> {
  return checkedText(options, isE164, 'INVALID_PHONE', (key) => `${key} must be ${E164_FORMAT}`);
}

/**
 * A server host we open connections to. Loopback and private addresses are refused unless the
 * deployment allows them, by the same rule as outbound URLs (edge/security/outbound-url.ts).
 */
export function serverHost(options: TextOptions): Field<string> {
  return {
    type: 'string',
    ...options,
    parse(value, at) {
      const text = presentText(value, at, options.required);
      if (text === null) return '';
      if (!HOST.test(text)) {
        at.issues.add('INVALID_VALUE', at.path, `${at.key} is not a host name`);
        return text;
      }
      const reason = at.options.allowPrivateUrls ? undefined : privateServerHostReason(text);
      if (reason) at.issues.add('INVALID_URL', at.path, `${at.key} is a ${reason} address`);
      return text;
    },
  };
}

/** An http(s) endpoint we call, checked by the outbound URL rule (no private targets). */
export function endpointUrl(options: TextOptions): Field<string> {
  return {
    type: 'string',
    ...options,
    parse(value, at) {
      const text = presentText(value, at, options.required);
      if (text === null) return '';
      const checked = checkOutboundUrl(text, { allowPrivate: at.options.allowPrivateUrls });
      if (!checked.ok) at.issues.add('INVALID_URL', at.path, checked.detail);
      return text;
    },
  };
}

/** A whole number from `min` to `max`; a numeric string (hand-written settings) is accepted. */
export function integer(options: TextOptions & { min: number; max: number }): Field<number> {
  const { min, max, ...rest } = options;
  return {
    type: 'int',
    ...rest,
    parse(value, at) {
      const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
        at.issues.add(
          'INVALID_VALUE',
          at.path,
          `${at.key} must be an integer from ${min} to ${max}`,
        );
        return min;
      }
      return number;
    },
  };
}

/** The stored values of an enum. */
type EnumValue<E extends FieldEnum> = keyof E['values'] & string;

/** One of an enum's values; absent means `fallback` (or null without one). */
export function oneOf<E extends FieldEnum>(
  values: E,
  options: TextOptions & { fallback?: NoInfer<EnumValue<E>> },
): Field<EnumValue<E> | null> {
  const allowed = Object.keys(values.values) as EnumValue<E>[];
  return {
    type: values,
    required: options.required,
    description: options.description,
    parse(value, at) {
      if (value === undefined || value === null || value === '') {
        if (options.fallback !== undefined) return options.fallback;
        if (options.required) at.issues.add('INVALID_VALUE', at.path, `${at.key} is required`);
        return null;
      }
      if (!allowed.includes(value as EnumValue<E>)) {
        at.issues.add('INVALID_VALUE', at.path, `${at.key} must be one of ${allowed.join(', ')}`);
        return null;
      }
      return value as EnumValue<E>;
    },
  };
}

/**
 * A secret, kept byte for byte (never trimmed); empty or absent when not required. `format`
 * checks the shape a provider documents (a secret that lands in a URL path must be one).
 */
export function secret(
  options: TextOptions & { format?: { pattern: RegExp; message: string } },
): Field<string | null> {
  const { format, ...rest } = options;
  return {
    type: 'string',
    ...rest,
    parse(value, at) {
      if (typeof value !== 'string' || value.length === 0) {
        if (options.required) at.issues.add('INVALID_VALUE', at.path, `${at.key} is required`);
        return null;
      }
      if (value.length > MAX_SECRET_LENGTH) {
        at.issues.add('INVALID_VALUE', at.path, `${at.key} is too long`);
      } else if (format && !format.pattern.test(value)) {
        at.issues.add('INVALID_VALUE', at.path, `${at.key} ${format.message}`);
      }
      return value;
    },
  };
}

/** Parses `input` field by field, in declaration order, reporting at `path.<key>`. */
export function parseFields<F extends Fields>(
  fields: F,
  input: Record<string, unknown> | null | undefined,
  issues: IssueSink,
  path: string,
  options: ParseOptions,
): Parsed<F> {
  const parsed: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) {
    parsed[key] = field.parse(input?.[key], { issues, path: `${path}.${key}`, key, options });
  }
  return parsed as Parsed<F>;
}
