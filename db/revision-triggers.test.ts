import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createNodePostgres } from './drivers/node-postgres';
import { REVISION_TABLES, revisionTriggerNames } from './revision-triggers';
import { queryRows } from './rows';
import { snippets, workflows, workspaceRevisions, workspaces } from './schema';

const postgres = createNodePostgres(inject('databaseUrl'), { max: 2 });
afterAll(() => postgres.close());
const { db } = postgres;

async function revisionOf(workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ revision: workspaceRevisions.revision })
    .from(workspaceRevisions)
    .where(eq(workspaceRevisions.workspaceId, workspaceId));
  return row?.revision ?? 0;
}

async function newWorkspace(name: string): Promise<string> {
  const [row] = await db.insert(workspaces).values({ name }).returning({ id: workspaces.id });
  return row!.id;
}

describe('workspace revision triggers', () => {
  it('exist for insert, update and delete on every table the response cache reads', async () => {
    const rows = await queryRows<{ name: string }>(
      db,
      sql`select tgname as name from pg_trigger where not tgisinternal`,
    );
    const names = new Set(rows.map((row) => row.name));
    for (const table of REVISION_TABLES) {
      for (const name of revisionTriggerNames(table)) expect(names, name).toContain(name);
    }
  });

  it("bump the written workspace's revision once per statement, and no other workspace's", async () => {
    const mine = await newWorkspace('mine');
    const other = await newWorkspace('other');
    const start = await revisionOf(mine);
    const otherStart = await revisionOf(other);
    await db.insert(workflows).values([
      { workspaceId: mine, name: 'a' },
      { workspaceId: mine, name: 'b' },
    ]);
    expect(await revisionOf(mine)).toBe(start + 1);
    await db.update(workflows).set({ name: 'c' }).where(eq(workflows.workspaceId, mine));
    expect(await revisionOf(mine)).toBe(start + 2);
    await db.insert(snippets).values({ workspaceId: mine, name: 'hi', body: 'x' });
    await db.delete(snippets).where(eq(snippets.workspaceId, mine));
    expect(await revisionOf(mine)).toBe(start + 4);
    await db.update(workspaces).set({ timezone: 'Europe/Paris' }).where(eq(workspaces.id, mine));
    expect(await revisionOf(mine)).toBe(start + 5);
    expect(await revisionOf(other)).toBe(otherStart);
  });

  it('do not bump for a statement that a rollback undoes', async () => {
    const mine = await newWorkspace('rolled back');
    const start = await revisionOf(mine);
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(workflows).values({ workspaceId: mine, name: 'gone' });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await revisionOf(mine)).toBe(start);
  });
});
