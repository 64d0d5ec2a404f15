import { VALIDATION_CODES, type ValidationIssue } from '../../workflow/validation-issue';
import { builder } from '../builder';
import { NotFoundError, ValidationError } from '../errors';

/** The stable codes clients switch on (see workflow/validation-issue.ts). */
export const ValidationCodeEnum = builder.enumType('ValidationCode', { values: VALIDATION_CODES });

/** Shared by every typed error so that clients can always select `... on Error { message }`. */
export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure returned as a member of a mutation result union.',
  fields: (t) => ({ message: t.exposeString('message') }),
});

const ValidationIssueRef = builder.objectRef<ValidationIssue>('ValidationIssue').implement({
  description: 'One problem with an input, located by a dotted path into it.',
  fields: (t) => ({
    code: t.field({ type: ValidationCodeEnum, resolve: (issue) => issue.code }),
    path: t.exposeString('path'),
    message: t.exposeString('message'),
    stepId: t.id({ nullable: true, resolve: (issue) => issue.stepId ?? null }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input was rejected; nothing was written.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    issues: t.field({ type: [ValidationIssueRef], resolve: (error) => error.issues }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description:
    "The object does not exist in this workspace (other workspaces' rows look the same).",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    entity: t.exposeString('entity'),
    id: t.exposeID('id'),
  }),
});
