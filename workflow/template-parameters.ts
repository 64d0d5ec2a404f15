/**
 * What WhatsApp refuses in a template's text parameter: a new-line or tab character, or more
 * than 4 consecutive spaces. Meta answers such a send with error 132018 (WhatsApp Cloud API,
 * Support, "Error codes": 132018, "There was an issue with the parameters in your template");
 * Twilio documents the same WhatsApp rule for what it passes on (Twilio error 63013, "Channel
 * policy violation": "more than 4 consecutive whitespaces replace a placeholder in a WhatsApp
 * message body"). Neither documents any normalising, so a value is never rewritten: a literal
 * value is refused when the step is saved (workflow/validate-texts.ts), and a value that only
 * breaks the rule once its variables are filled in fails TEMPLATE_INVALID before any call
 * (edge/channels/whatsapp-meta/message-body.ts; through Twilio and Vonage,
 * `bodyParametersProblem` below, used by edge/channels/twilio/message-form.ts and
 * edge/channels/vonage/message-body.ts).
 */

/** A new-line (LF or CR) or a tab. */
const LINE_BREAK_OR_TAB = /[\r\n\t]/;
/** Five spaces in a row: "more than 4 consecutive spaces". */
const FIVE_SPACES = / {5}/;

/** Why `text` cannot be a WhatsApp template text parameter, or null when it can. */
export function templateParameterProblem(text: string): string | null {
  if (LINE_BREAK_OR_TAB.test(text)) return 'cannot hold a line break or a tab';
  if (FIVE_SPACES.test(text)) return 'cannot hold more than 4 spaces in a row';
  return null;
}

/**
 * The first of a template's filled-in body parameters that WhatsApp refuses, as a failure
 * detail naming it (`WhatsApp template body parameter 2 cannot hold a line break or a tab once
 * its variables are filled in`); null when all are fine.
 */
export function bodyParametersProblem(parameters: readonly string[]): string | null {
  for (const [index, text] of parameters.entries()) {
    const problem = templateParameterProblem(text);
    if (problem) {
      return `WhatsApp template body parameter ${index + 1} ${problem} once its variables are filled in`;
    }
  }
  return null;
}
