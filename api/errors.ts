import type { ValidationIssue } from '../workflow/validation-issue';

/**
 * Expected failures, returned to clients as typed members of each mutation's result union
 * (Pothos errors plugin) so that they can switch on `__typename` and `issues[].code`.
 */

/** Input was rejected; nothing was written. */
export class ValidationError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((issue) => issue.message).join('; ') || 'Invalid input');
    this.name = 'ValidationError';
  }
}

/** The object does not exist in the caller's workspace (other workspaces' rows look the same). */
export class NotFoundError extends Error {
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} was not found`);
    this.name = 'NotFoundError';
  }
}
