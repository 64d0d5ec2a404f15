/**
 * The statement triggers that bump `workspace_revisions` (db/schema/tenancy.ts) whenever rows
 * of a table change, and the tables that have them. The API's response cache
 * (api/response-cache.ts) serves only responses built from these tables, so a write anywhere it
 * reads makes every isolate's cached responses for that workspace stale at once.
 *
 * Adding a table: add it here, generate a custom migration
 * (`npm run db:generate -- --custom --name <what>`) and put `npm run db:revision-triggers --
 * <table>` into it. db/revision-triggers.test.ts checks that every table here has its triggers.
 */

/** Tables whose rows name their workspace in `workspace_id` (or, for workspaces, `id`). */
export const REVISION_TABLES = [
  'workspaces',
  'workflows',
  'steps',
  'workflow_versions',
  'channels',
  'files',
  'snippets',
] as const;

export type RevisionTable = (typeof REVISION_TABLES)[number];

/** The function every trigger calls; `changed` is the statement's transition table. */
export const REVISION_FUNCTION_SQL = `CREATE FUNCTION "bump_workspace_revision"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- One bump per workspace per statement, taken in a fixed order so that two statements that
  -- touch the same workspaces never wait on each other in opposite orders.
  INSERT INTO "workspace_revisions" AS r ("workspace_id", "revision")
  SELECT DISTINCT "workspace_id", 1 FROM "changed" ORDER BY "workspace_id"
  ON CONFLICT ("workspace_id") DO UPDATE SET "revision" = r."revision" + 1;
  RETURN NULL;
END
$$;`;

const OPERATIONS = [
  { event: 'INSERT', transition: 'NEW' },
  { event: 'UPDATE', transition: 'NEW' },
  { event: 'DELETE', transition: 'OLD' },
] as const;

/** Trigger names: `<table>_revision_<insert|update|delete>`. */
export function revisionTriggerNames(table: string): string[] {
  return OPERATIONS.map(({ event }) => `${table}_revision_${event.toLowerCase()}`);
}

/**
 * The SQL creating a table's three statement triggers (a transition table may serve one event
 * only). `workspaces` names its workspace in `id`: its triggers read a view of the transition
 * table through a function of their own.
 */
export function revisionTriggersSql(table: string): string {
  const names = revisionTriggerNames(table);
  const fn = table === 'workspaces' ? 'bump_own_workspace_revision' : 'bump_workspace_revision';
  return OPERATIONS.map(
    ({ event, transition }, index) =>
      `CREATE TRIGGER "${names[index]}" AFTER ${event} ON "${table}"
  REFERENCING ${transition} TABLE AS "changed" FOR EACH STATEMENT EXECUTE FUNCTION "${fn}"();`,
  ).join('\n--> statement-breakpoint\n');
}

/** The same as REVISION_FUNCTION_SQL for the workspaces table itself (its key is `id`). */
export const OWN_REVISION_FUNCTION_SQL = REVISION_FUNCTION_SQL.replace(
  '"bump_workspace_revision"',
  '"bump_own_workspace_revision"',
)
  .replace('SELECT DISTINCT "workspace_id", 1', 'SELECT DISTINCT "id", 1')
  .replace('ORDER BY "workspace_id"', 'ORDER BY "id"');
