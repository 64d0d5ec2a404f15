import {
  OWN_REVISION_FUNCTION_SQL,
  REVISION_FUNCTION_SQL,
  REVISION_TABLES,
  revisionTriggersSql,
} from '../db/revision-triggers';

/**
 * `npm run db:revision-triggers -- [--functions] <table>…`: prints the SQL for a custom migration
 * that gives these tables the workspace-revision triggers (db/revision-triggers.ts); with
 * `--functions`, the trigger functions first. With no table, every table in REVISION_TABLES.
 */
const args = process.argv.slice(2);
const tables = args.filter((arg) => arg !== '--functions');
const parts: string[] = [];
if (args.includes('--functions')) parts.push(REVISION_FUNCTION_SQL, OWN_REVISION_FUNCTION_SQL);
for (const table of tables.length > 0 ? tables : REVISION_TABLES) {
  parts.push(revisionTriggersSql(table));
}
console.log(parts.join('\n--> statement-breakpoint\n'));
