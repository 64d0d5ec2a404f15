import { type LocatedText, richTextTexts } from './rich-text';
import type { MessageContent, SendMessageConfig } from './types';

/** A user-written text in a step's config, and how it is checked. */
export interface MessageText extends LocatedText {
  /** Counts toward the 2,000-character message limit. */
  limited: boolean;
  /** Must not be blank. */
  required: boolean;
  /**
   * What the text is: message content (text, caption, template parameter, tagged text), the
   * e-mail subject, an e-mail body span, or a link URL in the e-mail body.
   */
  kind: 'content' | 'subject' | 'body' | 'link';
  /**
   * A WhatsApp template's text parameter (body, header or URL button), held to WhatsApp's rule
   * for them (workflow/template-parameters.ts).
   */
  templateParameter?: boolean;
}

function contentTexts(content: MessageContent, path: string): MessageText[] {
  const base = { limited: true, kind: 'content' } as const;
  switch (content.type) {
    case 'text':
      return [{ ...base, path: `${path}.text`, text: content.text ?? '', required: true }];
    case 'media':
      return content.caption
        ? [{ ...base, path: `${path}.caption`, text: content.caption, required: false }]
        : [];
    case 'whatsapp_template': {
      const parameter = { ...base, required: true, templateParameter: true } as const;
      return [
        ...(content.parameters ?? []).map((text, index) => ({
          ...parameter,
          path: `${path}.parameters[${index}]`,
          text,
        })),
        ...(content.headerParameters ?? []).map((text, index) => ({
          ...parameter,
          path: `${path}.headerParameters[${index}]`,
          text,
        })),
        ...(content.buttonParameters ?? []).map((button, index) => ({
          ...parameter,
          path: `${path}.buttonParameters[${index}].text`,
          text: button.text,
        })),
      ];
    }
    case 'messenger_tagged':
      return [{ ...base, path: `${path}.text`, text: content.text ?? '', required: true }];
    default:
      return [];
  }
}

/**
 * Every text a Send a Message config holds, with its path: the default message, each channel
 * response, the e-mail subject and every span and link of the e-mail body. Validation,
 * snippet checks and variable scanning all walk this one list.
 */
export function messageTexts(config: SendMessageConfig): MessageText[] {
  const texts = contentTexts(config.defaultMessage, 'defaultMessage');
  (config.channelResponses ?? []).forEach((response, index) => {
    if (response?.content) {
      texts.push(...contentTexts(response.content, `channelResponses[${index}].content`));
    }
  });
  const email = config.email;
  if (email?.subject) {
    texts.push({
      path: 'email.subject',
      text: email.subject,
      limited: false,
      required: false,
      kind: 'subject',
    });
  }
  if (email?.body) {
    for (const located of richTextTexts(email.body, 'email.body')) {
      const kind = located.path.endsWith('.link') ? 'link' : 'body';
      texts.push({ ...located, limited: false, required: false, kind });
    }
  }
  return texts;
}
