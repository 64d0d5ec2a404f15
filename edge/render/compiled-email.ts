import { findVariables, interpolate, type RenderContext } from '../../workflow/variables';
import { escapeHtml } from './html-escape';
import { hasSafeLinkScheme } from './rich-text-mjml';

/**
 * MJML → HTML once per template, interpolation per message. Compiling MJML costs about a
 * millisecond; interpolating the compiled HTML costs microseconds, so a step that sends to
 * thousands of contacts compiles once. The compiled HTML still holds the variables as written
 * (`$contact.firstname`); it is cut into segments at compile time so that a send only touches
 * the segments that hold variables.
 */

/** One piece of compiled HTML: static text, or text holding variables (in markup or an href). */
interface Segment {
  text: string;
  variables: boolean;
  href: boolean;
}

/** Compiled HTML ready to be interpolated for any contact. */
export interface CompiledEmail {
  segments: readonly Segment[];
}

/** How many compiled templates a Worker isolate keeps (LRU); each is about 20 KB. */
export const COMPILED_EMAIL_CACHE_SIZE = 200;

const MJML_OPTIONS = { validationLevel: 'strict', minify: false, keepComments: false } as const;

// The compiled HTML only holds hrefs our MJML writes, always double-quoted.
const HREF_ATTRIBUTE = /href="([^"]*)"/g;

function splitSegments(html: string): Segment[] {
  const segments: Segment[] = [];
  const push = (text: string, href: boolean) => {
    if (text === '') return;
    segments.push({ text, href, variables: findVariables(text).length > 0 });
  };
  let last = 0;
  for (const match of html.matchAll(HREF_ATTRIBUTE)) {
    const valueStart = match.index + 'href="'.length;
    push(html.slice(last, valueStart), false);
    push(match[1] ?? '', true);
    last = valueStart + (match[1] ?? '').length;
  }
  push(html.slice(last), false);
  return segments;
}

/**
 * MJML, loaded on the first compile rather than when the Worker starts: evaluating it (with
 * juice, cheerio and lodash) was ~160 of the ~200 ms of CPU the Worker's script took to start
 * (`wrangler check startup`), paid by every isolate, including those that only answer the API
 * or send texts; Cloudflare refuses a Worker whose startup exceeds its limit (Workers limits,
 * "Worker startup time"). The bundler keeps the module in the one script, evaluated lazily.
 */
let mjml: Promise<typeof import('mjml')['default']> | undefined;

function loadMjml() {
  mjml ??= import('mjml').then((module) => module.default);
  return mjml;
}

/** Compiles an MJML document (with variables left in place) to reusable HTML. */
export async function compileEmail(source: string): Promise<CompiledEmail> {
  const mjml2html = await loadMjml();
  const { html } = await mjml2html(source, MJML_OPTIONS);
  return { segments: splitSegments(html) };
}

/**
 * Interpolates a link template (one that `isLinkTemplateAllowed` accepted): a variable that
 * starts the link is the whole URL (kept as a URL, and the result must still have a safe
 * scheme, else null: the link goes nowhere); variables later in the link are percent-encoded
 * so that a value cannot add query parameters or a fragment. `escapeValue` is applied to the
 * encoded values (HTML-escaping for an href). The HTML and the text part both link through
 * it, so that both carry the same URL.
 */
export function interpolateLink(
  template: string,
  ctx: RenderContext,
  escapeValue: (value: string) => string = (value) => value,
): string | null {
  const component = (value: string) => escapeValue(encodeURIComponent(value));
  const first = findVariables(template)[0];
  if (first?.start !== 0) return interpolate(template, ctx, component);
  const href =
    interpolate(template.slice(0, first.end), ctx, (value) => escapeValue(encodeURI(value))) +
    interpolate(template.slice(first.end), ctx, component);
  return hasSafeLinkScheme(href) ? href : null;
}

/** An href of the compiled HTML for one contact ('#' when the link may not go anywhere). */
function interpolateHref(template: string, ctx: RenderContext): string {
  return interpolateLink(template, ctx, escapeHtml) ?? '#';
}

/** The compiled HTML for one contact: variables replaced, their values HTML-escaped. */
export function interpolateCompiledEmail(compiled: CompiledEmail, ctx: RenderContext): string {
  let html = '';
  for (const segment of compiled.segments) {
    if (!segment.variables) html += segment.text;
    else if (segment.href) html += interpolateHref(segment.text, ctx);
    else html += interpolate(segment.text, ctx, escapeHtml);
  }
  return html;
}

interface CacheEntry {
  mjml: string;
  compiled: Promise<CompiledEmail>;
}

/**
 * A bounded least-recently-used map of compiled templates. A key names a template slot
 * (`versionId:stepId`); the entry also remembers the MJML it was compiled from, so an edited
 * snippet (which changes the MJML without changing the published version) recompiles instead
 * of serving stale HTML.
 */
export class CompiledEmailCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #maxEntries: number;

  constructor(maxEntries = COMPILED_EMAIL_CACHE_SIZE) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The compiled template for `key`, compiling `mjml` when absent or different. */
  compile(key: string, mjml: string): Promise<CompiledEmail> {
    const hit = this.#entries.get(key);
    if (hit && hit.mjml === mjml) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.compiled;
    }
    const compiled = compileEmail(mjml);
    const entry: CacheEntry = { mjml, compiled };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    compiled.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return compiled;
  }

  clear(): void {
    this.#entries.clear();
  }
}
