import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * Where the Worker serves GraphiQL's files. They are Workers Static Assets (wrangler.toml
 * `[assets]`), written by scripts/graphiql-assets.ts from `@graphql-yoga/render-graphiql`:
 * GraphiQL's script alone is over 5 MB, beyond what a Worker bundle may hold, and Yoga's own
 * page loads them from a CDN, which leaves GraphiQL blank offline.
 */
export const GRAPHIQL_ASSETS_PATH = '/graphiql';

/** GraphiQL's files under GRAPHIQL_ASSETS_PATH, by what each one is. */
export const GRAPHIQL_FILES = {
  script: 'yoga-graphiql.js',
  style: 'graphiql.css',
  favicon: 'favicon.ico',
  editorWorker: 'editor.worker.js',
  jsonWorker: 'json.worker.js',
  graphqlWorker: 'graphql.worker.js',
} as const;

const asset = (file: string) => `${GRAPHIQL_ASSETS_PATH}/${file}`;

/** JSON that cannot close the inline script it sits in (`</script>` in a default query). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/<\//g, '<\\/');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Yoga's GraphiQL page (the markup of `@graphql-yoga/render-graphiql`) with every file taken
 * from this origin. Monaco's editor workers are loaded by URL: same-origin workers need no blob.
 */
export function renderGraphiQLPage(options: GraphiQLOptions = {}): string {
  const workers = {
    editorWorkerService: asset(GRAPHIQL_FILES.editorWorker),
    json: asset(GRAPHIQL_FILES.jsonWorker),
    graphql: asset(GRAPHIQL_FILES.graphqlWorker),
  };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${asset(GRAPHIQL_FILES.favicon)}" />
    <link rel="stylesheet" href="${asset(GRAPHIQL_FILES.style)}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${scriptJson(workers)};
      self.MonacoEnvironment = {
        globalAPI: false,
        getWorkerUrl: function (moduleId, label) {
          return workers[label];
        },
      };
    </script>
    <script src="${asset(GRAPHIQL_FILES.script)}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}
