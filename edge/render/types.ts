import type { TEMPLATE_MEDIA_KINDS } from '../../workflow/channel-templates';
import type {
  MessengerTag,
  TemplateButtonParameter,
  TemplateMediaFormat,
} from '../../workflow/types';
import type { ThreadHeaders } from './thread-headers';

/** A file from the workspace's library, as a message refers to it. */
export interface MediaFile {
  id: string;
  /**
   * What providers fetch: the registered URL, or a signed link to an upload
   * (edge/media/signed-link.ts); empty when an upload cannot be linked (no PUBLIC_URL).
   */
  url: string;
  name: string;
  contentType: string;
  sizeBytes: number;
  /** The upload's key in the media bucket; absent for a file registered by URL. */
  storageKey?: string | null;
}

/**
 * A file an email carries: `inline`, an image shown in the HTML through `cid:<contentId>`;
 * `attachment`, a MIME attachment; `link`, only linked (a file registered by URL, or one past
 * the email's attachment cap). Inline and attached bytes are read from `storageKey` by the
 * adapter.
 */
export interface EmailMedia {
  url: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  disposition: 'inline' | 'attachment' | 'link';
  storageKey?: string;
  contentId?: string;
}

/** The earlier name of EmailMedia (emails used to carry links only). */
export type EmailMediaLink = EmailMedia;

/** A template header's media as the provider fetches it: a link, and a document's file name. */
export interface RenderedHeaderMedia {
  kind: (typeof TEMPLATE_MEDIA_KINDS)[TemplateMediaFormat];
  link: string;
  fileName?: string;
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
      /** Present only when the template has an IMAGE, VIDEO or DOCUMENT header. */
      headerMedia?: RenderedHeaderMedia;
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
      /** The message's file, then the step's attachments, as the email carries them. */
      media: EmailMedia[];
    };

export type RenderedMessageKind = RenderedMessage['kind'];
