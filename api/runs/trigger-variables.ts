import type { IssueList } from '../validation';

/** Most trigger variables one run may carry. */
export const MAX_TRIGGER_VARIABLES = 50;
/** Longest trigger variable value (a message holds at most 2,000 characters anyway). */
export const MAX_TRIGGER_VALUE_LENGTH = 2000;

// The key grammar of `$trigger.<key>` (workflow/variables.ts).
const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Checks a `variables` input: a JSON object whose values are strings, each key usable as
 * `$trigger.<key>` in a message. Returns the map to store; problems go to `issues`.
 */
export function parseTriggerVariables(
  value: unknown,
  issues: IssueList,
  path = 'variables',
): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.add('INVALID_VALUE', path, 'Must be an object mapping names to strings');
    return {};
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_TRIGGER_VARIABLES) {
    // Too many is one issue: checking (and reporting, by name) each of them would let one
    // request ask for a response as long as its input.
    issues.add('INVALID_VALUE', path, `At most ${MAX_TRIGGER_VARIABLES} variables are allowed`);
    return {};
  }
  const variables: [string, string][] = [];
  for (const [key, entry] of entries) {
    if (!KEY.test(key)) {
      issues.add('INVALID_VALUE', `${path}.${key}`, 'Names are letters, digits and _ (not first)');
    } else if (typeof entry !== 'string') {
      issues.add('INVALID_VALUE', `${path}.${key}`, 'Values must be strings');
    } else if (entry.length > MAX_TRIGGER_VALUE_LENGTH) {
      issues.add(
        'INVALID_VALUE',
        `${path}.${key}`,
        `Must be at most ${MAX_TRIGGER_VALUE_LENGTH} characters`,
      );
    } else {
      variables.push([key, entry]);
    }
  }
  // fromEntries defines each key: `variables.__proto__ = '…'` would set no property at all.
  return Object.fromEntries(variables);
}
