import type { RichTextBlock, RichTextSpan } from '../../workflow/types';
import { findVariables } from '../../workflow/variables';
import { escapeHtml } from './html-escape';

/**
 * Turns a rich-text email body into MJML: one white card on a grey page (`mj-section` →
 * `mj-column` → one `mj-text` per block), 600 px wide on desktop and full width on phones,
 * which is what MJML's responsive columns give. Variables stay exactly as written
 * (`$contact.firstname`) so that the compiled HTML can be reused for every contact and the
 * values interpolated afterwards (see compiled-email.ts); all other text is HTML-escaped here.
 */

/** Visual constants of the layout, in one place. */
export const EMAIL_LAYOUT = {
  width: '600px',
  pageBackground: '#f4f5f7',
  cardBackground: '#ffffff',
  textColor: '#1f2933',
  linkColor: '#1a56db',
  fontFamily: "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif",
  fontSize: '16px',
  lineHeight: '1.5',
} as const;

const HEADING_SIZES = { 1: '26px', 2: '22px', 3: '18px' } as const;

// Links authors write must use one of these schemes; `javascript:` and friends become text.
const SAFE_LINK = /^(https?:|mailto:|tel:)/i;

/**
 * True when `template` (a link as written, before interpolation) may become an `href`: it has
 * a safe scheme, or it starts with a variable whose value is checked when it is interpolated.
 */
export function isLinkTemplateAllowed(template: string): boolean {
  const trimmed = template.trim();
  if (SAFE_LINK.test(trimmed)) return true;
  return findVariables(trimmed)[0]?.start === 0;
}

/** True when a final, interpolated `href` has a safe scheme. */
export function hasSafeLinkScheme(href: string): boolean {
  return SAFE_LINK.test(href.trim());
}

/**
 * Text shown exactly as written (a file's name or link): HTML-escaped, and `$` written as
 * `&#36;` (the same character to a reader) so that the compiled HTML holds no variable for
 * interpolation to fill in.
 */
function escapeLiteral(text: string): string {
  return escapeHtml(text).replace(/\$/g, '&#36;');
}

function spanToHtml(span: RichTextSpan, literal: boolean): string {
  const escapeText = literal ? escapeLiteral : escapeHtml;
  let html = escapeText(span.text).replace(/\r?\n/g, '<br />');
  if (span.bold) html = `<strong>${html}</strong>`;
  if (span.italic) html = `<em>${html}</em>`;
  if (span.underline) html = `<u>${html}</u>`;
  const linked = literal
    ? hasSafeLinkScheme(span.link ?? '')
    : isLinkTemplateAllowed(span.link ?? '');
  if (span.link && linked) {
    const href = escapeText(span.link.trim());
    html = `<a href="${href}" style="color:${EMAIL_LAYOUT.linkColor};text-decoration:underline;">${html}</a>`;
  }
  return html;
}

function spansToHtml(spans: readonly RichTextSpan[], literal: boolean): string {
  return spans.map((span) => spanToHtml(span, literal)).join('');
}

function blockToHtml(block: RichTextBlock, literal = false): string {
  switch (block.type) {
    case 'paragraph':
      return `<p style="margin:0;">${spansToHtml(block.spans, literal)}</p>`;
    case 'heading': {
      const size = HEADING_SIZES[block.level];
      return `<h${block.level} style="margin:0;font-size:${size};line-height:1.3;font-weight:700;">${spansToHtml(block.spans, literal)}</h${block.level}>`;
    }
    case 'list': {
      const tag = block.ordered ? 'ol' : 'ul';
      const items = block.items
        .map((item) => `<li style="margin:0 0 4px 0;">${spansToHtml(item, literal)}</li>`)
        .join('');
      return `<${tag} style="margin:0;padding:0 0 0 24px;">${items}</${tag}>`;
    }
  }
}

/** An image the email shows from one of its inline parts. */
export interface EmailImage {
  /** The part's Content-ID (the `src` is `cid:<contentId>`, RFC 2392). */
  contentId: string;
  alt: string;
}

function imageToMjml(image: EmailImage): string {
  const src = escapeHtml(`cid:${image.contentId}`);
  return `<mj-image src="${src}" alt="${escapeLiteral(image.alt)}" padding="0 0 16px 0" />`;
}

/**
 * The MJML document for `blocks` with `title` as the HTML title, then `literal` blocks, then
 * `images`. Texts must already have their snippets expanded; variables are left in place.
 * `literal` blocks (file names and links) are shown exactly as written: no variables, and a
 * link only with a safe scheme. Image alts are literal too.
 */
export function richTextToMjml(
  blocks: readonly RichTextBlock[],
  title: string,
  images: readonly EmailImage[] = [],
  literal: readonly RichTextBlock[] = [],
): string {
  const texts = [
    ...blocks.map((block) => `<mj-text>${blockToHtml(block)}</mj-text>`),
    ...literal.map((block) => `<mj-text>${blockToHtml(block, true)}</mj-text>`),
    ...images.map(imageToMjml),
  ].join('\n');
  return `<mjml>
<mj-head>
<mj-title>${escapeHtml(title)}</mj-title>
<mj-attributes>
<mj-all font-family="${EMAIL_LAYOUT.fontFamily}" />
<mj-text font-size="${EMAIL_LAYOUT.fontSize}" line-height="${EMAIL_LAYOUT.lineHeight}" color="${EMAIL_LAYOUT.textColor}" padding="0 0 16px 0" />
</mj-attributes>
</mj-head>
<mj-body background-color="${EMAIL_LAYOUT.pageBackground}" width="${EMAIL_LAYOUT.width}">
<mj-section background-color="${EMAIL_LAYOUT.cardBackground}" padding="32px 24px 16px 24px">
<mj-column>
${texts}
</mj-column>
</mj-section>
</mj-body>
</mjml>`;
}
