import { emailBodyLengthIssues, emailBodyShapeIssues } from './email-body-limits';
import { messageTexts } from './message-texts';
import { expandSnippets, findSnippetNames } from './snippets';
import { templateParameterProblem } from './template-parameters';
import { textLength } from './text-length';
import { MAX_TEXT_LENGTH, type SendMessageConfig } from './types';
import { type ValidationIssue, validationIssue } from './validation-issue';
import { findVariables } from './variables';

/** Longest e-mail subject: one header line (RFC 5322 §2.1.1). */
export const MAX_EMAIL_SUBJECT_LENGTH = 998;

// The schemes the email renderer links (edge/render/rich-text-mjml.ts).
const ALLOWED_LINK = /^(?:https?:\/\/|mailto:|tel:)/i;
const LINE_BREAK = /[\r\n]/;

function subjectIssues(subject: string, path: string): ValidationIssue[] {
  // A line break in a subject would let the text spill into other headers.
  if (LINE_BREAK.test(subject)) {
    return [validationIssue('INVALID_VALUE', path, 'Subject must be a single line')];
  }
  if (textLength(subject) > MAX_EMAIL_SUBJECT_LENGTH) {
    return [
      validationIssue(
        'INVALID_VALUE',
        path,
        `Subject must be at most ${MAX_EMAIL_SUBJECT_LENGTH} characters`,
      ),
    ];
  }
  return [];
}

function linkIssues(link: string, path: string): ValidationIssue[] {
  const url = link.trim();
  // Only schemes a mail client opens safely; `javascript:` and relative links are refused.
  if (ALLOWED_LINK.test(url) && URL.canParse(url)) return [];
  // A link that starts with a variable is checked once filled in, when the email is rendered
  // (a value that does not come out http(s), mailto or tel links nowhere).
  if (findVariables(url)[0]?.start === 0) return [];
  return [
    validationIssue(
      'INVALID_URL',
      path,
      'Links must be http(s), mailto or tel URLs, or start with a variable',
    ),
  ];
}

/**
 * Checks every text of a Send a Message config, with snippets expanded the way they will be
 * sent: blank required texts, texts over 2,000 characters, unknown snippets, e-mail subjects
 * with line breaks or over 998 characters, links that are not http(s), mailto or tel (nor start
 * with a variable), WhatsApp template parameters with a line break, a tab or more than 4 spaces
 * in a row (workflow/template-parameters.ts), and e-mail body spans, links, blocks and the whole
 * body over their limits (workflow/email-body-limits.ts).
 */
export function validateMessageTexts(
  config: SendMessageConfig,
  snippets: ReadonlyMap<string, string>,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const body = Array.isArray(config.email?.body) ? config.email.body : null;
  // A body over its block or part counts is reported as such, its texts left unchecked.
  const shapeIssues = body ? emailBodyShapeIssues(body) : [];
  issues.push(...shapeIssues);
  const texts = messageTexts(config).filter(
    ({ kind }) => shapeIssues.length === 0 || (kind !== 'body' && kind !== 'link'),
  );
  for (const { path, text, limited, required, kind, templateParameter } of texts) {
    if (typeof text !== 'string') {
      issues.push(validationIssue('INVALID_VALUE', path, 'Must be text'));
      continue;
    }
    if (required && text.trim() === '') {
      issues.push(validationIssue('TEXT_EMPTY', path, 'Text must not be empty'));
      continue;
    }
    for (const name of findSnippetNames(text)) {
      if (!snippets.has(name)) {
        issues.push(validationIssue('UNKNOWN_SNIPPET', path, `Snippet ${name} was not found`));
      }
    }
    const expanded = expandSnippets(text, snippets);
    if (limited) {
      const length = textLength(expanded);
      if (length > MAX_TEXT_LENGTH) {
        issues.push(
          validationIssue(
            'TEXT_TOO_LONG',
            path,
            `Text is ${length} characters with snippets expanded; the limit is ${MAX_TEXT_LENGTH}`,
          ),
        );
      }
    }
    if (templateParameter) {
      // Only what is written (snippets included) is checked here: a variable's value is checked
      // once filled in, before the send (edge/channels/whatsapp-meta/message-body.ts).
      const problem = templateParameterProblem(expanded);
      if (problem) {
        issues.push(
          validationIssue('INVALID_VALUE', path, `A WhatsApp template parameter ${problem}`),
        );
      }
    }
    if (kind === 'subject') issues.push(...subjectIssues(expanded, path));
    if (kind === 'link') issues.push(...linkIssues(expanded, path));
  }
  if (body && shapeIssues.length === 0) issues.push(...emailBodyLengthIssues(body, snippets));
  return issues;
}
