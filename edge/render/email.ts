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
import { type EmailImage, isLinkTemplateAllowed, richTextToMjml } from './rich-text-mjml';

/** What an email is made from: the subject and body as written in the step. */
export interface EmailTemplate {
  /** May contain variables and snippets; blank when absent. */
  subject?: string | null;
  body: RichTextBlock[];
  /** Images shown after the body from inline parts (`cid:`); `alt` is the file name. */
  images?: readonly EmailImage[];
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

function plainBlock(block: RichTextBlock, ctx: RenderContext): RichTextBlock {
  if (block.type === 'list') {
    return { ...block, items: block.items.map((item) => item.map((span) => plainSpan(span, ctx))) };
  }
  return { ...block, spans: block.spans.map((span) => plainSpan(span, ctx)) };
}

/**
 * The subject for one contact: snippets expanded, variables interpolated, and every CR/LF
 * (written by the author or arriving in a contact's value) turned into a space, so that no
 * value can start a new header.
 */
export function renderSubject(
  subject: string | null | undefined,
  ctx: RenderContext,
  snippets: ReadonlyMap<string, string>,
): string {
  if (!subject) return '';
  return stripLineBreaks(
    interpolate(expandSnippets(subject, snippets), ctx, stripLineBreaks),
  ).trim();
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
  const mjml = richTextToMjml(blocks, stripLineBreaks(title), images);
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
      // The text part names each image the HTML shows.
      ...images.map((image) => `[image: ${image.alt}]`),
    ]
      .filter((part) => part !== '')
      .join('\n\n'),
  };
}
