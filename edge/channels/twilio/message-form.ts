import { bodyParametersProblem } from '../../../workflow/template-parameters';
import type { RenderedMessage } from '../../render/types';
import type { TwilioNetwork, TwilioSettings } from './definition';

/**
 * The form body of `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` for one rendered
 * message (Twilio Docs, Messaging, "Message resource", "Create a Message resource"): `To`,
 * `From` or `MessagingServiceSid`, then `Body` and/or `MediaUrl`, or for a WhatsApp template
 * `ContentSid` with `ContentVariables` ("Content API": send a template by its Content SID).
 * WhatsApp addresses are `whatsapp:+E164` ("WhatsApp": address format).
 */

/** Longest body Twilio takes ("Message resource": Body, up to 1,600 characters). */
export const MAX_BODY_LENGTH = 1600;

/** A Content SID ("Content API": HX and 32 hex digits). */
const CONTENT_SID = /^HX[0-9a-fA-F]{32}$/;

/** The form, and the text of it that SMS bills by segments; or why it cannot be sent. */
export type TwilioForm =
  | { ok: true; form: URLSearchParams; smsText: string | null }
  | { ok: false; detail: string; reason?: 'template_invalid' };

/** An address on `network`: a plain E.164 number for SMS, `whatsapp:+E164` for WhatsApp. */
export function twilioAddress(network: TwilioNetwork, e164: string): string {
  return network === 'whatsapp' ? `whatsapp:${e164}` : e164;
}

type Content =
  | { ok: true; fields: Record<string, string> }
  | { ok: false; detail: string; reason?: 'template_invalid' };

function contentFields(rendered: RenderedMessage): Content {
  switch (rendered.kind) {
    case 'text':
      return { ok: true, fields: { Body: rendered.text } };
    case 'media':
      return {
        ok: true,
        fields: rendered.caption
          ? { Body: rendered.caption, MediaUrl: rendered.url }
          : { MediaUrl: rendered.url },
      };
    case 'whatsapp_template': {
      // A Content template's media is part of the template itself, not a send parameter.
      if (rendered.headerMedia) {
        return {
          ok: false,
          detail: 'through Twilio, a template media header is set in the Content template',
        };
      }
      if (!CONTENT_SID.test(rendered.templateName)) {
        return {
          ok: false,
          detail:
            'through Twilio, a WhatsApp template is named by its Content SID (HX…), not its name',
        };
      }
      // WhatsApp's rule for template parameters holds through Twilio too: Twilio error 63013,
      // "Channel policy violation": "If more than 4 consecutive whitespaces replace a
      // placeholder in a WhatsApp message body", "When there are consecutive new lines where a
      // channel does not support it" (workflow/template-parameters.ts). Refused before the call.
      const problem = bodyParametersProblem(rendered.parameters);
      if (problem) return { ok: false, detail: problem, reason: 'template_invalid' };
      // "Content API": variables are a JSON object keyed "1", "2"… in placeholder order.
      const variables = Object.fromEntries(
        rendered.parameters.map((value, index) => [String(index + 1), value]),
      );
      return {
        ok: true,
        fields: {
          ContentSid: rendered.templateName,
          ...(rendered.parameters.length > 0
            ? { ContentVariables: JSON.stringify(variables) }
            : {}),
        },
      };
    }
    default:
      return { ok: false, detail: `Twilio cannot send a ${rendered.kind} message` };
  }
}

/** The form sending `rendered` to `to` (E.164) on `network`, with its status callback URL. */
export function twilioMessageForm(
  network: TwilioNetwork,
  settings: TwilioSettings,
  rendered: RenderedMessage,
  to: string,
  statusCallback: string | null,
): TwilioForm {
  if (rendered.kind === 'whatsapp_template' && network !== 'whatsapp') {
    return { ok: false, detail: 'SMS cannot send a WhatsApp template' };
  }
  const built = contentFields(rendered);
  if (!built.ok) return built;
  const content = built.fields;
  const body = content.Body ?? null;
  if (body !== null && Array.from(body).length > MAX_BODY_LENGTH) {
    return { ok: false, detail: `a Twilio message body has at most ${MAX_BODY_LENGTH} characters` };
  }
  const form = new URLSearchParams({ To: twilioAddress(network, to) });
  // A Messaging Service picks the sender itself; otherwise the channel's number sends.
  if (settings.messagingServiceSid) form.set('MessagingServiceSid', settings.messagingServiceSid);
  else form.set('From', twilioAddress(network, settings.fromNumber));
  for (const [name, value] of Object.entries(content)) form.set(name, value);
  if (statusCallback) form.set('StatusCallback', statusCallback);
  // Segments are billed for SMS text; an MMS is one message whatever its length.
  const smsText = network === 'sms' && !content.MediaUrl ? body : null;
  return { ok: true, form, smsText };
}
