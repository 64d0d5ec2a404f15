/**
 * A `Content-Disposition` value with the file name in both forms (RFC 6266 §4.3): `filename`
 * with an ASCII fallback (quotes, backslashes and non-ASCII replaced by `_`), and `filename*`
 * in UTF-8 percent-encoding (RFC 8187) for clients that read it.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7E]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
