import type { MessengerTag, TemplateButtonParameter } from '../../workflow/types';
import type { ThreadHeaders } from './thread-headers';

/** A file from the workspace's library, as a message refers to it. */
export interface MediaFile {
  url: string;
  name: string;
  contentType: string;
}

/** A file an email links to (emails carry media as links, not attachments). */
export interface EmailMediaLink {
  url: string;
  fileName: string;
  contentType: string;
}

/**
 * A message rendered for one contact on one channel: snippets expanded, variables
 * interpolated, ready for the channel's adapter. Plain data (JSON-serialisable), so the custom
 * channel can post it as it is.
 */
export type RenderedMessage =
  | { kind: 'text'; text: string }
  | { kind: 'media'; url: string; fileName: string; contentType: string; caption?: string }
  | {
      kind: 'whatsapp_template';
      templateName: string;
      languageCode: string;
      parameters: string[];
      /** Present only when the template has a text header with placeholders. */
      headerParameters?: string[];
      /** Present only when the template has dynamic URL buttons. */
      buttonParameters?: TemplateButtonParameter[];
    }
  | { kind: 'messenger_tagged'; tag: MessengerTag; text: string }
  | {
      kind: 'email';
      /** Header-safe (no CR/LF); blank when the step has no subject. */
      subject: string;
      /** Responsive HTML from MJML; contact values HTML-escaped. */
      html: string;
      /** The plain-text alternative of the same body. */
      text: string;
      headers: ThreadHeaders;
      /** Files the body links to (a media message's file). */
      media: EmailMediaLink[];
    };

export type RenderedMessageKind = RenderedMessage['kind'];
