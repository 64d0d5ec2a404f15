/** What one file the GraphiQL page names answered. */
export interface GraphiQLFile {
  /** The URL as written in the page. */
  reference: string;
  /** Whether it resolves to the page's own origin. */
  sameOrigin: boolean;
  status: number;
  contentType: string;
  bytes: number;
}

/** Every file the page loads: `src`/`href` attributes and the quoted paths of its inline script (the editor workers). */
function referencedFiles(html: string): string[] {
  const attributes = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
  const scriptPaths = [...html.matchAll(/"(\/[^"\s]+\.(?:js|css|ico))"/g)].map(
    (match) => match[1]!,
  );
  return [...new Set([...attributes, ...scriptPaths])];
}

/**
 * Opens GraphiQL at `origin`/graphql as a browser does (GET, `Accept: text/html`) and fetches
 * every file the page names, so a test can check that none comes from elsewhere and each is
 * served with its type.
 */
export async function loadGraphiQL(
  origin: string,
): Promise<{ html: string; files: GraphiQLFile[] }> {
  const page = await fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
  if (page.status !== 200) throw new Error(`GraphiQL page answered ${page.status}`);
  const html = await page.text();
  const files = await Promise.all(
    referencedFiles(html).map(async (reference) => {
      const url = new URL(reference, `${origin}/graphql`);
      const response = await fetch(url);
      const bytes = (await response.arrayBuffer()).byteLength;
      return {
        reference,
        sameOrigin: url.origin === new URL(origin).origin,
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        bytes,
      };
    }),
  );
  return { html, files };
}

/** The content type each kind of file must be served with. */
export const GRAPHIQL_CONTENT_TYPES: Record<string, RegExp> = {
  js: /^(?:text|application)\/javascript\b/,
  css: /^text\/css\b/,
  ico: /^image\/(?:x-icon|vnd\.microsoft\.icon)\b/,
};

/** A file's problems, for one readable assertion: wrong origin, status or type, or empty. */
export function graphiqlFileProblem(file: GraphiQLFile): string | undefined {
  const extension = file.reference.split('.').pop() ?? '';
  const type = GRAPHIQL_CONTENT_TYPES[extension];
  if (!file.sameOrigin) return `${file.reference}: not from this origin`;
  if (file.status !== 200) return `${file.reference}: ${file.status}`;
  if (!type?.test(file.contentType)) return `${file.reference}: served as ${file.contentType}`;
  if (file.bytes === 0) return `${file.reference}: empty`;
  return undefined;
}
