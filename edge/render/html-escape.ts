const HTML_SPECIALS = /[&<>"']/g;
const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML element content and double- or single-quoted attribute values, so
 * that a contact's `<script>` arrives as text. Values are escaped once, where they enter
 * markup; never unescape and re-escape.
 */
export function escapeHtml(text: string): string {
  return text.replace(HTML_SPECIALS, (char) => HTML_ENTITIES[char] ?? char);
}
