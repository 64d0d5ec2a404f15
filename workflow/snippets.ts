/**
 * Snippets are reusable saved texts referenced as `$snippet.<name>`. Names are lower-case
 * (`[a-z0-9_]+`) and case-sensitive. A reference is matched with any letter case so that
 * `$snippet.Welcome` is reported as unknown instead of being sent as literal text unnoticed.
 */
const SNIPPET_REF = /\$snippet\.([A-Za-z0-9_]+)/g;
const SNIPPET_NAME = /^[a-z0-9_]+$/;

/** Longest snippet name accepted when a snippet is saved. */
export const MAX_SNIPPET_NAME_LENGTH = 64;

/** True when `name` may be used as a snippet's name. */
export function isSnippetName(name: string): boolean {
  return (
    typeof name === 'string' && name.length <= MAX_SNIPPET_NAME_LENGTH && SNIPPET_NAME.test(name)
  );
}

/** The distinct snippet names referenced in `text`, in order of first appearance. */
export function findSnippetNames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(SNIPPET_REF)) names.add(match[1]!);
  return [...names];
}

/**
 * Replaces each `$snippet.<name>` with the snippet's body. One level only: references inside a
 * body stay as written (no recursion, so no cycles). Variables inside a body are left for
 * `interpolate`, which runs after this. An unknown snippet stays literal.
 */
export function expandSnippets(text: string, snippets: ReadonlyMap<string, string>): string {
  if (!text.includes('$snippet.')) return text;
  return text.replace(SNIPPET_REF, (raw, name: string) => snippets.get(name) ?? raw);
}
