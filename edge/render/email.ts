import { richTextToPlainText } from '../../workflow/rich-text';
import { expandSnippets } from '../../workflow/snippets';
import type { RichTextBlock, RichTextSpan } from '../../workflow/types';
import { interpolate, type RenderContext } from '../../workflow/variables';
import { stripLineBreaks } from '../security/header-value';
import {
  CompiledEmailCache,
  compileEmail,
  interpolateCompiledEmail,
  interpolateLink,
} from './compiled-email';
import {
  type EmailImage,
  hasSafeLinkScheme,
  isLinkTemplateAllowed,
  richTextToMjml,
} from './rich-text-mjml';

/** What an email is made from: the subject and body as written in the step. */
export interface EmailTemplate {
  /** May contain variables and snippets; blank when absent. */
  subject?: string | null;
  body: RichTextBlock[];
  /** Images shown after the body from inline parts (`cid:`); `alt` is the file name. */
  images?: readonly EmailImage[];
  /**
   * Blocks shown after the body exactly as written, without snippets or variables (the names
   * and links of the email's files: data, not template text); a link needs a safe scheme.
   */
  literal?: readonly RichTextBlock[];
}

/** The values one email is rendered with. */
export interface EmailRenderInput {
  ctx: RenderContext;
  snippets: ReadonlyMap<string, string>;
  /**
   * Names the template for the compiled-MJML cache, e.g. `versionId:stepId` (plus a suffix
   * for the chosen content). Without it the MJML source itself is the key.
   */
  templateKey?: string;
}

export interface EmailRenderOptions {
  /** false compiles MJML on every call (the benchmark's baseline); default true. */
  cache?: boolean;
}

/** A rendered email: a header-safe subject, responsive HTML and the plain-text part. */
export interface RenderedEmailBody {
  subject: string;
  html: string;
  text: string;
}

/** The isolate-wide cache: a Worker isolate serves many batches, and templates repeat. */
const compiledEmails = new CompiledEmailCache();

/** Empties the compiled-template cache (benchmarks start cold with it). */
export function clearCompiledEmailCache(): void {
  compiledEmails.clear();
}

function expandSpan(span: RichTextSpan, snippets: ReadonlyMap<string, string>): RichTextSpan {
  return {
    ...span,
    text: expandSnippets(span.text, snippets),
    link: span.link ? expandSnippets(span.link, snippets) : span.link,
  };
}

function expandBlock(block: RichTextBlock, snippets: ReadonlyMap<string, string>): RichTextBlock {
  if (block.type === 'list') {
    return {
      ...block,
      items: block.items.map((item) => item.map((span) => expandSpan(span, snippets))),
    };
  }
  return { ...block, spans: block.spans.map((span) => expandSpan(span, snippets)) };
}

/**
 * A span of the text part for one contact: its text interpolated, and its link as the HTML part
 * has it (values percent-encoded, a link whose scheme is unsafe dropped), so that a value cannot
 * add query parameters to the text part's URL, or make it a `javascript:` link, either.
 */
function plainSpan(span: RichTextSpan, ctx: RenderContext): RichTextSpan {
  const link =
    span.link && isLinkTemplateAllowed(span.link) ? interpolateLink(span.link.trim(), ctx) : null;
  return { text: interpolate(span.text, ctx), ...(link ? { link } : {}) };
}

/** A literal span of the text part: as written, its link kept only with a safe scheme. */
function literalSpan(span: RichTextSpan): RichTextSpan {
  const link = span.link && hasSafeLinkScheme(span.link) ? span.link.trim() : null;
  return { text: span.text, ...(link ? { link } : {}) };
}

function literalBlock(block: RichTextBlock): RichTextBlock {
  if (block.type === 'list') {
    return { ...block, items: block.items.map((item) => item.map(literalSpan)) };
  }
  return { ...block, spans: block.spans.map(literalSpan) };
}

function plainBlock(block: RichTextBlock, ctx: RenderContext): RichTextBlock {
  if (block.type === 'list') {
    return { ...block, items: block.items.map((item) => item.map((span) => plainSpan(span, ctx))) };
  }
  return { ...block, spans: block.spans.map((span) => plainSpan(span, ctx)) };
}

/** Line breaks and controls: C0 (CR, LF, tab, VT, FF, NUL…), DEL, C1 (NEL…), U+2028, U+2029. */
function isSubjectBreak(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** `text` with every run of line breaks and control characters turned into one space. */
function subjectLine(text: string): string {
  let out = '';
  let inBreak = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (isSubjectBreak(code)) {
      if (!inBreak) out += ' ';
      inBreak = true;
    } else {
      out += text[index];
      inBreak = false;
    }
  }
  return out;
}

/**
 * The subject for one contact: snippets expanded, variables interpolated, and every line break
 * or control character (written by the author or arriving in a contact's value) turned into a
 * space: CR/LF would start a new header, and NEL, VT, FF or U+2028 end lines for some readers
 * of the decoded subject (RFC 5322 §3.2.5: unstructured text is printable characters and
 * spaces).
 */
export function renderSubject(
  subject: string | null | undefined,
  ctx: RenderContext,
  snippets: ReadonlyMap<string, string>,
): string {
  if (!subject) return '';
  return subjectLine(interpolate(expandSnippets(subject, snippets), ctx, subjectLine)).trim();
}

/**
 * Renders one email: the body through MJML into responsive HTML with contact values
 * HTML-escaped, the same body as plain text, and the subject. The MJML compile is cached per
 * template (see compiled-email.ts); `{ cache: false }` compiles every time and gives the
 * same output.
 */
export async function renderEmail(
  template: EmailTemplate,
  input: EmailRenderInput,
  options: EmailRenderOptions = {},
): Promise<RenderedEmailBody> {
  const { ctx, snippets } = input;
  const blocks = template.body.map((block) => expandBlock(block, snippets));
  const title = template.subject ? expandSnippets(template.subject, snippets) : '';
  const images = template.images ?? [];
  const literal = template.literal ?? [];
  const mjml = richTextToMjml(blocks, stripLineBreaks(title), images, literal);
  const compiled =
    options.cache === false
      ? await compileEmail(mjml)
      : await compiledEmails.compile(input.templateKey ?? mjml, mjml);
  return {
    subject: renderSubject(template.subject, ctx, snippets),
    html: interpolateCompiledEmail(compiled, ctx),
    text: [
      // Interpolated span by span beforehand (plainBlock): values are never scanned again.
      richTextToPlainText(
        blocks.map((block) => plainBlock(block, ctx)),
        (text) => text,
      ),
      richTextToPlainText(literal.map(literalBlock), (text) => text),
      // The text part names each image the HTML shows.
      ...images.map((image) => `[image: ${image.alt}]`),
    ]
      .filter((part) => part !== '')
      .join('\n\n'),
  };
}
