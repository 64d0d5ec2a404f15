import { displayNameProblem } from '../workflow/display-name';
import type { ValidationCode, ValidationIssue } from '../workflow/validation-issue';
import { ValidationError } from './errors';

/**
 * Collects every problem with an input before anything is written, so that one response lists
 * them all and a rejected mutation leaves the database untouched.
 */
export class IssueList {
  readonly issues: ValidationIssue[] = [];

  /** Records one problem at a dotted `path` into the input. */
  add(code: ValidationCode, path: string, message: string): void {
    this.issues.push({ code, path, message });
  }

  /** Throws a ValidationError listing everything recorded, if anything was. */
  throwIfAny(): void {
    if (this.issues.length > 0) throw new ValidationError(this.issues);
  }
}

/**
 * Records INVALID_VALUE when a name holds characters no one-line name may
 * (workflow/display-name.ts); returns whether it is clean.
 */
export function checkNameCharacters(issues: IssueList, path: string, value: string): boolean {
  const problem = displayNameProblem(value);
  if (problem) issues.add('INVALID_VALUE', path, problem);
  return problem === null;
}

/**
 * Trims a required name; records INVALID_VALUE when it holds control or bidirectional
 * formatting characters, is blank, or is longer than `max`.
 */
export function requiredName(issues: IssueList, path: string, value: string, max = 200): string {
  const trimmed = value.trim();
  if (!checkNameCharacters(issues, path, value)) return trimmed;
  if (!trimmed) issues.add('INVALID_VALUE', path, 'Must not be blank');
  else if (trimmed.length > max)
    issues.add('INVALID_VALUE', path, `Must be at most ${max} characters`);
  return trimmed;
}
