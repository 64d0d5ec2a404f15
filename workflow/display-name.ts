/**
 * Names (of workflows, steps, channels, contacts, API keys, the workspace) are shown on one
 * line in editors, lists and notifications. Control characters (C0, DEL, C1: tab, line feed and
 * NEL among them), the Unicode line and paragraph separators, and the bidirectional embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069) would let a name break that line or
 * display as something it is not (`Refund<U+202E>lanigiro` reads "Refundoriginal"), so such a
 * name is refused rather than silently rewritten. Message texts are not names: they may hold
 * line breaks. Bidirectional marks (U+200E, U+200F, U+061C) are allowed: they only place
 * neutral characters between scripts, which names in Arabic or Hebrew legitimately need.
 */
export function isForbiddenInName(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Why `name` cannot be a name, or null. Check the name as sent, before trimming, which would
 * quietly drop a trailing line break.
 */
export function displayNameProblem(name: string): string | null {
  for (let index = 0; index < name.length; index++) {
    if (isForbiddenInName(name.charCodeAt(index))) {
      return 'Must be one line without control or bidirectional formatting characters';
    }
  }
  return null;
}
