import { isBusinessScopedUserId } from '../../../workflow/contact-fields';
import { templateParameterProblem } from '../../../workflow/template-parameters';
import type { FailureReason } from '../../../workflow/types';
import type { RenderedHeaderMedia, RenderedMessage } from '../../render/types';
import { WHATSAPP_CAPTION_LIMIT } from './definition';

/**
 * The JSON body of `POST /<phone-number-id>/messages` for one rendered message (WhatsApp Cloud
 * API, Messages: "Text messages", "Image/Video/Audio/Document messages", "Template messages").
 * Our delivery id rides along as `biz_opaque_callback_data`, which Meta echoes in every status
 * webhook of the message, so statuses find their delivery even before we stored the wamid.
 */

/**
 * Longest media caption the Cloud API accepts ("Image messages", "Video messages", "Document
 * messages": `caption`, "Maximum 1024 characters"), declared with the channel (definition.ts).
 */
export const MAX_CAPTION_LENGTH = WHATSAPP_CAPTION_LIMIT.maxLength;

/**
 * Longest text body the Cloud API accepts (WhatsApp Cloud API, Messages, "Text messages": `body`,
 * "Maximum 4096 characters"; 360dialog docs, "Sending Messages": "A text message can be a maximum
 * of 4096 characters long"). A step's text is bounded when saved, but its `$variables` are filled
 * in at send time, so the rendered text is checked here, as the caption is.
 */
export const MAX_TEXT_LENGTH = 4096;

type MediaKind = 'image' | 'video' | 'audio' | 'document';

/**
 * The message type a file goes out as: images and video that WhatsApp plays inline, audio, and
 * everything else as a document (which keeps the file name).
 */
export function mediaKind(contentType: string): MediaKind {
  const type = contentType.toLowerCase();
  if (type === 'image/jpeg' || type === 'image/png') return 'image';
  if (type === 'video/mp4' || type === 'video/3gpp') return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'document';
}

/**
 * A message body, or why this message cannot be a WhatsApp message (`content_invalid` unless
 * `reason` says otherwise).
 */
export type WhatsAppBody =
  | {
      ok: true;
      body: Record<string, unknown>;
      /**
       * A second message that goes once the first is accepted: the caption of an audio file,
       * as a text message (`captionText`: what it says, for the delivery's detail).
       */
      followUp?: { body: Record<string, unknown>; captionText: string };
    }
  | { ok: false; detail: string; reason?: FailureReason };

/** A text message's content ("Text messages"); link previews stay off. */
function textContent(text: string): Record<string, unknown> {
  // A preview fetches the link from Meta's side: only when asked for.
  return { type: 'text', text: { preview_url: false, body: text } };
}

function mediaBody(rendered: Extract<RenderedMessage, { kind: 'media' }>): WhatsAppBody {
  const kind = mediaKind(rendered.contentType);
  const media: Record<string, unknown> = { link: rendered.url };
  // Only documents carry a file name.
  if (kind === 'document') media.filename = rendered.fileName;
  const body = { type: kind, [kind]: media };
  if (!rendered.caption) return { ok: true, body };
  if (!WHATSAPP_CAPTION_LIMIT.kinds.includes(kind)) {
    // "Audio messages" take no `caption` (only image, video and document messages do): rather
    // than lose the words the step gives with the file, they follow as a text message, held
    // to a text's limit (as Messenger's and LINE's captions follow their attachments).
    if (Array.from(rendered.caption).length > MAX_TEXT_LENGTH) {
      return { ok: false, detail: `a WhatsApp text has at most ${MAX_TEXT_LENGTH} characters` };
    }
    return {
      ok: true,
      body,
      followUp: { body: textContent(rendered.caption), captionText: rendered.caption },
    };
  }
  if (Array.from(rendered.caption).length > MAX_CAPTION_LENGTH) {
    return { ok: false, detail: `a WhatsApp caption has at most ${MAX_CAPTION_LENGTH} characters` };
  }
  media.caption = rendered.caption;
  return { ok: true, body };
}

/**
 * A media header's one parameter ("Template messages", header parameters: `type` image, video
 * or document with an object of that name holding the `link`; a document's `filename` is the
 * name WhatsApp shows).
 */
function headerMediaParameter(media: RenderedHeaderMedia): Record<string, unknown> {
  const object: Record<string, unknown> = { link: media.link };
  if (media.kind === 'document' && media.fileName) object.filename = media.fileName;
  return { type: media.kind, [media.kind]: object };
}

/**
 * A template message's components ("Template messages": `header` with its media or its text
 * parameters, `body` with text parameters in order; one `button` component per dynamic URL
 * button, with `sub_type: url`, its `index` as a string and the text that completes its URL).
 * Absent when none are needed.
 */
function templateBody(rendered: Extract<RenderedMessage, { kind: 'whatsapp_template' }>) {
  const template: Record<string, unknown> = {
    name: rendered.templateName,
    language: { code: rendered.languageCode },
  };
  const texts = (values: readonly string[]) => values.map((text) => ({ type: 'text', text }));
  const components: Record<string, unknown>[] = [];
  if (rendered.headerMedia) {
    components.push({ type: 'header', parameters: [headerMediaParameter(rendered.headerMedia)] });
  } else if (rendered.headerParameters?.length) {
    components.push({ type: 'header', parameters: texts(rendered.headerParameters) });
  }
  if (rendered.parameters.length > 0) {
    components.push({ type: 'body', parameters: texts(rendered.parameters) });
  }
  for (const button of rendered.buttonParameters ?? []) {
    components.push({
      type: 'button',
      sub_type: 'url',
      index: String(button.index),
      parameters: texts([button.text]),
    });
  }
  if (components.length > 0) template.components = components;
  return { type: 'template', template };
}

/**
 * The first text parameter of a rendered template that WhatsApp refuses (see
 * workflow/template-parameters.ts), as a failure detail; null when all are fine.
 */
function renderedTemplateProblem(
  rendered: Extract<RenderedMessage, { kind: 'whatsapp_template' }>,
): string | null {
  const named: Array<[string, string]> = [
    ...(rendered.headerParameters ?? []).map((text, i): [string, string] => [
      `header parameter ${i + 1}`,
      text,
    ]),
    ...rendered.parameters.map((text, i): [string, string] => [`body parameter ${i + 1}`, text]),
    ...(rendered.buttonParameters ?? []).map((button): [string, string] => [
      `button ${button.index} parameter`,
      button.text,
    ]),
  ];
  for (const [name, text] of named) {
    const problem = templateParameterProblem(text);
    if (problem) return `WhatsApp template ${name} ${problem} once its variables are filled in`;
  }
  return null;
}

/**
 * The request body sending `rendered` to `address`, tagged with our delivery id: an E.164
 * phone goes as `to`; a business-scoped user ID as `recipient`, without `to` ("Business-scoped
 * user IDs", Messages API: `recipient` takes a BSUID or parent BSUID; when both are present,
 * `to` wins).
 */
export function whatsappMessageBody(
  rendered: RenderedMessage,
  address: string,
  deliveryId: string,
): WhatsAppBody {
  let content: WhatsAppBody;
  switch (rendered.kind) {
    case 'text':
      if (Array.from(rendered.text).length > MAX_TEXT_LENGTH) {
        return { ok: false, detail: `a WhatsApp text has at most ${MAX_TEXT_LENGTH} characters` };
      }
      content = { ok: true, body: textContent(rendered.text) };
      break;
    case 'media':
      content = mediaBody(rendered);
      break;
    case 'whatsapp_template': {
      // Variables are filled in by now: a value with a line break, a tab or a run of spaces
      // would be refused by Meta (132018), so it fails here without a call, as Meta would.
      const problem = renderedTemplateProblem(rendered);
      if (problem) return { ok: false, detail: problem, reason: 'template_invalid' };
      content = { ok: true, body: templateBody(rendered) };
      break;
    }
    default:
      return { ok: false, detail: `WhatsApp cannot send a ${rendered.kind} message` };
  }
  if (!content.ok) return content;
  const envelope = (body: Record<string, unknown>) => ({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...(isBusinessScopedUserId(address) ? { recipient: address } : { to: address }),
    ...body,
  });
  return {
    ok: true,
    body: { ...envelope(content.body), biz_opaque_callback_data: deliveryId },
    ...(content.followUp
      ? {
          followUp: {
            // Untagged: statuses find a delivery by its wamid or by this id, and the delivery is
            // the audio's. A status of the caption's text (its own wamid) finds nothing, so a
            // text that fails, or is read before the audio arrives, cannot decide it.
            body: envelope(content.followUp.body),
            captionText: content.followUp.captionText,
          },
        }
      : {}),
  };
}
