import { isBusinessScopedUserId } from '../../../workflow/contact-fields';
import type { RenderedHeaderMedia, RenderedMessage } from '../../render/types';

/**
 * The JSON body of `POST /<phone-number-id>/messages` for one rendered message (WhatsApp Cloud
 * API, Messages: "Text messages", "Image/Video/Audio/Document messages", "Template messages").
 * Our delivery id rides along as `biz_opaque_callback_data`, which Meta echoes in every status
 * webhook of the message, so statuses find their delivery even before we stored the wamid.
 */

/** Longest media caption the Cloud API accepts ("Media messages": caption, 1024 characters). */
export const MAX_CAPTION_LENGTH = 1024;

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

/** A message body, or why this message cannot be a WhatsApp message. */
export type WhatsAppBody =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; detail: string };

function mediaBody(rendered: Extract<RenderedMessage, { kind: 'media' }>): WhatsAppBody {
  const kind = mediaKind(rendered.contentType);
  if (rendered.caption && Array.from(rendered.caption).length > MAX_CAPTION_LENGTH) {
    return { ok: false, detail: `a WhatsApp caption has at most ${MAX_CAPTION_LENGTH} characters` };
  }
  const media: Record<string, unknown> = { link: rendered.url };
  // Audio has no caption; only documents carry a file name.
  if (rendered.caption && kind !== 'audio') media.caption = rendered.caption;
  if (kind === 'document') media.filename = rendered.fileName;
  return { ok: true, body: { type: kind, [kind]: media } };
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
      // Link previews stay off unless asked for: a preview fetches the link from Meta's side.
      content = {
        ok: true,
        body: { type: 'text', text: { preview_url: false, body: rendered.text } },
      };
      break;
    case 'media':
      content = mediaBody(rendered);
      break;
    case 'whatsapp_template':
      content = { ok: true, body: templateBody(rendered) };
      break;
    default:
      return { ok: false, detail: `WhatsApp cannot send a ${rendered.kind} message` };
  }
  if (!content.ok) return content;
  return {
    ok: true,
    body: {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      ...(isBusinessScopedUserId(address) ? { recipient: address } : { to: address }),
      ...content.body,
      biz_opaque_callback_data: deliveryId,
    },
  };
}
