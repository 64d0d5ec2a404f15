import { bodyParametersProblem } from '../../../workflow/template-parameters';
import type { RenderedMessage } from '../../render/types';
import { mediaKind } from '../whatsapp-meta/message-body';
import { vonageNumber, vonageRecipient } from './api';
import type { VonageNetwork } from './definition';

/**
 * The JSON body of `POST /v1/messages` for one rendered message (Vonage Messages API reference,
 * "Send a message": SMS `text`; WhatsApp `text`, `image`, `video`, `audio`, `file`, and
 * `template` with `whatsapp.policy`/`locale`). Our delivery id goes as `client_ref`, which
 * Vonage echoes in every status webhook of the message. On WhatsApp, `to` is a phone or a
 * business-scoped user ID (`vonageRecipient`); the adapter lets a BSUID through on WhatsApp only.
 */

/** Longest SMS text the SMS channel takes ("Send a message": SMS text, 1,000 characters). */
export const MAX_SMS_TEXT = 1000;

/**
 * Longest WhatsApp text: "For WhatsApp the maximum text size is 4096 characters, including
 * Unicode" (Vonage docs, Messages API, WhatsApp code snippets, "Send a Text Message"; the
 * Messages API's OpenAPI definition, `textMessageWhatsApp.text`: maxLength 4096). A longer one
 * is refused before the call, as Vonage would refuse it (422, 1020 Invalid params).
 */
export const MAX_WHATSAPP_TEXT = 4096;

export type VonageBody =
  | {
      ok: true;
      body: Record<string, unknown>;
      smsText: string | null;
      /** A WhatsApp audio file's caption, sent as a text message once the audio is accepted. */
      followUp?: { body: Record<string, unknown>; captionText: string };
    }
  | { ok: false; detail: string; reason?: 'template_invalid' };

/** Vonage's WhatsApp media message types for our media kinds. */
const WHATSAPP_MEDIA = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  document: 'file',
} as const;

function whatsappContent(rendered: RenderedMessage): Record<string, unknown> | string {
  switch (rendered.kind) {
    case 'text':
      return { message_type: 'text', text: rendered.text };
    case 'media': {
      const type = WHATSAPP_MEDIA[mediaKind(rendered.contentType)];
      const media: Record<string, unknown> = { url: rendered.url };
      if (rendered.caption && type !== 'audio') media.caption = rendered.caption;
      if (type === 'file') media.name = rendered.fileName;
      return { message_type: type, [type]: media };
    }
    case 'whatsapp_template':
      // Vonage's template message takes body parameters only: a media header would be lost.
      if (rendered.headerMedia) return 'Vonage cannot send a WhatsApp template with a media header';
      return {
        message_type: 'template',
        template: { name: rendered.templateName, parameters: rendered.parameters },
        whatsapp: { policy: 'deterministic', locale: rendered.languageCode },
      };
    default:
      return `Vonage cannot send a ${rendered.kind} message on WhatsApp`;
  }
}

/** SMS carries text only: media goes as its link after the caption (the channel's rule). */
function smsText(rendered: RenderedMessage): string | null {
  if (rendered.kind === 'text') return rendered.text;
  if (rendered.kind === 'media') {
    return rendered.caption ? `${rendered.caption}\n${rendered.url}` : rendered.url;
  }
  return null;
}

export function vonageMessageBody(
  network: VonageNetwork,
  rendered: RenderedMessage,
  from: string,
  to: string,
  deliveryId: string,
): VonageBody {
  const envelope = {
    to: vonageRecipient(to),
    from: vonageNumber(from),
    channel: network,
    client_ref: deliveryId,
  };
  if (network === 'sms') {
    const text = smsText(rendered);
    if (text === null) return { ok: false, detail: `SMS cannot send a ${rendered.kind} message` };
    if (Array.from(text).length > MAX_SMS_TEXT) {
      return { ok: false, detail: `a Vonage SMS has at most ${MAX_SMS_TEXT} characters` };
    }
    return { ok: true, body: { message_type: 'text', text, ...envelope }, smsText: text };
  }
  if (rendered.kind === 'text' && Array.from(rendered.text).length > MAX_WHATSAPP_TEXT) {
    return {
      ok: false,
      detail: `a Vonage WhatsApp text has at most ${MAX_WHATSAPP_TEXT} characters`,
    };
  }
  // WhatsApp refuses a template parameter with a line break, a tab or more than 4 spaces in a
  // row (workflow/template-parameters.ts), whichever provider the template goes through.
  if (rendered.kind === 'whatsapp_template') {
    const problem = bodyParametersProblem(rendered.parameters);
    if (problem) return { ok: false, detail: problem, reason: 'template_invalid' };
  }
  const content = whatsappContent(rendered);
  if (typeof content === 'string') return { ok: false, detail: content };
  const caption = rendered.kind === 'media' ? rendered.caption : null;
  if (caption && content.message_type === 'audio') {
    // WhatsApp audio takes no caption (the Messages API refuses `audio.caption` on WhatsApp, as
    // the Cloud API's "Audio messages" take none): the words follow as a text message, held to
    // a WhatsApp text's limit, rather than vanish.
    if (Array.from(caption).length > MAX_WHATSAPP_TEXT) {
      return {
        ok: false,
        detail: `a Vonage WhatsApp text has at most ${MAX_WHATSAPP_TEXT} characters`,
      };
    }
    return {
      ok: true,
      body: { ...content, ...envelope },
      smsText: null,
      followUp: {
        // Without our client_ref: statuses find a delivery by its message_uuid or client_ref,
        // and the delivery is the audio's; the caption text's statuses find nothing, so a text
        // that fails cannot decide it.
        body: {
          message_type: 'text',
          text: caption,
          to: envelope.to,
          from: envelope.from,
          channel: envelope.channel,
        },
        captionText: caption,
      },
    };
  }
  return { ok: true, body: { ...content, ...envelope }, smsText: null };
}
