import { validateGraph } from './graph';
import { messageTexts } from './message-texts';
import { expandSnippets } from './snippets';
import { isSendMessageStep, isWaitStep } from './steps';
import type { GraphStep, PublishIssue, PublishReport, WorkflowGraph } from './types';
import { type StepLookups, validateSendMessageConfig, validateWaitConfig } from './validate-step';
import type { ValidationIssue } from './validation-issue';
import { miscasedVariables, unknownVariables } from './variables';

function toPublishIssue(issue: ValidationIssue, stepId: string | null): PublishIssue {
  return {
    code: issue.code,
    message: issue.message,
    stepId: issue.stepId ?? stepId,
    path: issue.path,
  };
}

function stepConfigIssues(step: GraphStep, lookups: StepLookups): ValidationIssue[] {
  if (isSendMessageStep(step)) return validateSendMessageConfig(step.config, lookups);
  if (isWaitStep(step)) return validateWaitConfig(step.config);
  return [
    { code: 'INVALID_VALUE', path: 'type', message: `Unknown step type ${String(step.type)}` },
  ];
}

/**
 * One warning per unknown variable per text, with variables inside snippets included, and one
 * per reference whose namespace is not lower case (`$Contact.firstname`), which is plain text.
 */
function unknownVariableWarnings(
  step: GraphStep,
  lookups: StepLookups,
  knownCustomFields: ReadonlySet<string>,
): PublishIssue[] {
  if (!isSendMessageStep(step)) return [];
  const warnings: PublishIssue[] = [];
  for (const { path, text } of messageTexts(step.config)) {
    if (typeof text !== 'string') continue;
    const seen = new Set<string>();
    const expanded = expandSnippets(text, lookups.snippets);
    const found = [
      ...unknownVariables(expanded, knownCustomFields).map((ref) => ({
        raw: ref.raw,
        why: 'is not a known variable',
      })),
      ...miscasedVariables(expanded).map((ref) => ({
        raw: ref.raw,
        why: `is not a variable (namespaces are lower case: $${ref.namespace}.${ref.key})`,
      })),
    ];
    for (const { raw, why } of found) {
      if (seen.has(raw)) continue;
      seen.add(raw);
      const message = `${raw} ${why}; it will be sent as written`;
      warnings.push({ code: 'UNKNOWN_VARIABLE', stepId: step.id, path, message });
    }
  }
  return warnings;
}

/**
 * Checks a whole workflow before it is published. Errors (graph problems and invalid step
 * configs) block the publish; warnings (variables that can never have a value, which would be
 * sent literally) do not.
 */
export function buildPublishReport(
  graph: WorkflowGraph,
  lookups: StepLookups,
  knownCustomFields: ReadonlySet<string>,
): PublishReport {
  const errors = validateGraph(graph).map((issue) => toPublishIssue(issue, null));
  const warnings: PublishIssue[] = [];
  for (const step of graph.steps ?? []) {
    for (const issue of stepConfigIssues(step, lookups))
      errors.push(toPublishIssue(issue, step.id));
    warnings.push(...unknownVariableWarnings(step, lookups, knownCustomFields));
  }
  return { errors, warnings };
}
