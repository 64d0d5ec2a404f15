import type { ContactFilter, CustomFieldCondition } from '../../db/contact-filter';
import {
  isCountryCode,
  isCustomFieldKey,
  isLanguageTag,
  MAX_CUSTOM_FIELD_KEY_LENGTH,
} from '../../workflow/contact-fields';
import type { IssueList } from '../validation';

/** The ContactFilterInput a client sends (GraphQL has checked the shapes, not the values). */
export interface ContactFilterInput {
  customFields?:
    | readonly { key: string; equals?: string | null; contains?: string | null }[]
    | null;
  countries?: readonly string[] | null;
  languages?: readonly string[] | null;
  createdSince?: Date | null;
  createdBefore?: Date | null;
  hasEmail?: boolean | null;
  hasPhone?: boolean | null;
}

/** Bounds that keep one filter's SQL small; far beyond what a segment needs. */
const MAX_CUSTOM_FIELD_CONDITIONS = 20;
const MAX_LIST_VALUES = 250;
const MAX_MATCH_LENGTH = 2000;

/**
 * Validates a filter and returns it normalised (countries upper-cased, language tags
 * canonical, duplicates dropped, timestamps as ISO text). Every problem is recorded in `issues`
 * under `filter.…`; the caller throws them all at once.
 */
export function parseContactFilter(input: ContactFilterInput, issues: IssueList): ContactFilter {
  const filter: ContactFilter = {};
  const conditions = input.customFields ?? [];
  // Too many conditions is one issue: checking (and reporting) each of them would let one request
  // ask for a response as long as its input.
  const tooMany = conditions.length > MAX_CUSTOM_FIELD_CONDITIONS;
  if (tooMany) {
    issues.add(
      'INVALID_VALUE',
      'filter.customFields',
      `At most ${MAX_CUSTOM_FIELD_CONDITIONS} custom field conditions`,
    );
  }
  const customFields: CustomFieldCondition[] = [];
  (tooMany ? [] : conditions).forEach((condition, index) => {
    const path = `filter.customFields[${index}]`;
    if (!isCustomFieldKey(condition.key)) {
      // An overlong key is not echoed back whole.
      const shown =
        condition.key.length > MAX_CUSTOM_FIELD_KEY_LENGTH
          ? `A key of ${condition.key.length} characters (at most ${MAX_CUSTOM_FIELD_KEY_LENGTH})`
          : `"${condition.key}"`;
      issues.add('INVALID_VALUE', `${path}.key`, `${shown} cannot name a custom field`);
    }
    const given = [condition.equals, condition.contains].filter((value) => value != null);
    if (given.length !== 1) {
      issues.add('INVALID_VALUE', path, 'Give exactly one of equals or contains');
      return;
    }
    const value = given[0]!;
    if (value.length > MAX_MATCH_LENGTH) {
      issues.add('INVALID_VALUE', path, `At most ${MAX_MATCH_LENGTH} characters`);
    } else if (condition.contains != null && condition.contains === '') {
      issues.add('INVALID_VALUE', `${path}.contains`, 'Must not be empty');
    }
    customFields.push(
      condition.equals != null
        ? { key: condition.key, equals: condition.equals }
        : { key: condition.key, contains: value },
    );
  });
  if (customFields.length) filter.customFields = customFields;

  const countries = listOf(input.countries, 'filter.countries', issues, (code, path) => {
    if (isCountryCode(code)) return code.toUpperCase();
    issues.add('INVALID_VALUE', path, 'Use an ISO 3166-1 alpha-2 code such as FR');
    return undefined;
  });
  if (countries) filter.countries = countries;
  const languages = listOf(input.languages, 'filter.languages', issues, (tag, path) => {
    if (isLanguageTag(tag)) return Intl.getCanonicalLocales(tag)[0]!;
    issues.add('INVALID_VALUE', path, 'Use a BCP 47 language tag such as en or pt-BR');
    return undefined;
  });
  if (languages) filter.languages = languages;

  // Years 0001 to 9999 and valid Unicode text are the DateTime scalar's and the request's rules
  // (api/date-time.ts, api/hardening.ts), checked before any resolver runs.
  if (input.createdSince) filter.createdSince = input.createdSince.toISOString();
  if (input.createdBefore) filter.createdBefore = input.createdBefore.toISOString();
  if (input.createdSince && input.createdBefore && input.createdSince >= input.createdBefore) {
    issues.add('INVALID_VALUE', 'filter.createdBefore', 'Must be later than createdSince');
  }
  if (input.hasEmail != null) filter.hasEmail = input.hasEmail;
  if (input.hasPhone != null) filter.hasPhone = input.hasPhone;
  return filter;
}

/** A non-empty, bounded list of normalised values without duplicates, or undefined if not given. */
function listOf(
  values: readonly string[] | null | undefined,
  path: string,
  issues: IssueList,
  normalise: (value: string, path: string) => string | undefined,
): string[] | undefined {
  if (values == null) return undefined;
  if (values.length === 0) {
    issues.add('INVALID_VALUE', path, 'Give at least one value, or leave the condition out');
    return undefined;
  }
  if (values.length > MAX_LIST_VALUES) {
    issues.add('INVALID_VALUE', path, `At most ${MAX_LIST_VALUES} values`);
    return undefined;
  }
  const normalised = values.map((value, index) => normalise(value.trim(), `${path}[${index}]`));
  return [...new Set(normalised.filter((value): value is string => value !== undefined))];
}
