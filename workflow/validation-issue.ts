/**
 * Codes for rejected input. Clients switch on these; keep them stable.
 * `UNKNOWN_VARIABLE` is only ever a publish warning.
 */
export const VALIDATION_CODES = [
  'TEXT_TOO_LONG',
  'TEXT_EMPTY',
  'UNKNOWN_SNIPPET',
  'UNKNOWN_FILE',
  'CHANNEL_NOT_FOUND',
  'CHANNEL_NOT_CONNECTED',
  'UNSUPPORTED_MESSAGE_TYPE',
  'DUPLICATE_CHANNEL_RESPONSE',
  'FAILURE_TARGET_REQUIRED',
  'FAILURE_TARGET_INVALID',
  'STEP_NOT_IN_WORKFLOW',
  'INVALID_EMAIL',
  'INVALID_PHONE',
  'INVALID_URL',
  'INVALID_VALUE',
  'TEMPLATES_UNAVAILABLE',
  'TEMPLATE_NOT_FOUND',
  'TEMPLATE_NOT_APPROVED',
  'TEMPLATE_PARAMETER_MISMATCH',
  'GRAPH_EMPTY',
  'GRAPH_UNREACHABLE_STEP',
  'GRAPH_DANGLING_EDGE',
  'GRAPH_CYCLE',
  'UNKNOWN_VARIABLE',
  'FILE_EMPTY',
  'FILE_TOO_LARGE',
  'FILE_TYPE_NOT_ALLOWED',
  'FILE_TYPE_MISMATCH',
  'INVALID_FILE_NAME',
  'MEDIA_NOT_ACCEPTED',
  'ENDPOINT_DISABLED',
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

/** One problem with an input, located by a dotted path into it (e.g. `defaultMessage.text`). */
export interface ValidationIssue {
  code: ValidationCode;
  path: string;
  message: string;
  stepId?: string | null;
}

/** Builds a ValidationIssue; `stepId` is set when the issue belongs to one step of a graph. */
export function validationIssue(
  code: ValidationCode,
  path: string,
  message: string,
  stepId?: string | null,
): ValidationIssue {
  return stepId === undefined ? { code, path, message } : { code, path, message, stepId };
}
