import { inArray, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { channels, files, snippets, webhookEndpoints, workflows } from '../../db/schema';
import { type Json, useTestApi } from '../test-support';
import { likePattern } from './pagination';

const api = useTestApi();

describe('cursor pagination', () => {
  it('visits every row once when rows share a millisecond or a whole timestamp', async () => {
    const ws = await api.createWorkspace();
    // Microseconds apart (one JS millisecond), and three rows with identical timestamps.
    const times = [
      '2026-01-01 00:00:00.000100+00',
      '2026-01-01 00:00:00.000200+00',
      '2026-01-01 00:00:00.000300+00',
      '2026-01-01 00:00:01+00',
      '2026-01-01 00:00:01+00',
      '2026-01-01 00:00:01+00',
    ];
    await api.db.insert(snippets).values(
      times.map((time, index) => ({
        workspaceId: ws.workspaceId,
        name: `s${index}`,
        body: 'x',
        createdAt: sql`${time}::timestamptz`,
      })),
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result = await api.gql(
        ws.apiKey,
        'query ($after: String) { snippets(first: 1, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      seen.push(...result.data.snippets.nodes.map((n: { name: string }) => n.name));
      if (!result.data.snippets.pageInfo.hasNextPage) break;
      after = result.data.snippets.pageInfo.endCursor;
    }
    expect(seen.slice(0, 3)).toEqual(['s0', 's1', 's2']);
    expect([...seen].sort()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
  });

  it('pages backwards with last/before', async () => {
    const ws = await api.createWorkspace();
    for (const name of ['a', 'b', 'c']) {
      await api.gql(
        ws.apiKey,
        'mutation ($i: CreateSnippetInput!) { createSnippet(input: $i) { __typename } }',
        {
          i: { name, body: name },
        },
      );
    }
    const last = await api.gql(
      ws.apiKey,
      '{ snippets(last: 2) { nodes { name } pageInfo { startCursor hasPreviousPage } } }',
    );
    expect(last.data.snippets.nodes).toEqual([{ name: 'b' }, { name: 'c' }]);
    expect(last.data.snippets.pageInfo.hasPreviousPage).toBe(true);
    const before = await api.gql(
      ws.apiKey,
      'query ($b: String) { snippets(last: 2, before: $b) { nodes { name } } }',
      {
        b: last.data.snippets.pageInfo.startCursor,
      },
    );
    expect(before.data.snippets.nodes).toEqual([{ name: 'a' }]);
  });

  it('caps the page size at 100', async () => {
    const ws = await api.createWorkspace();
    await api.db.insert(snippets).values(
      Array.from({ length: 105 }, (_, index) => ({
        workspaceId: ws.workspaceId,
        name: `n${index}`,
        body: 'x',
      })),
    );
    const result = await api.gql(
      ws.apiKey,
      'query ($first: Int) { snippets(first: $first) { nodes { name } pageInfo { hasNextPage } } }',
      { first: 1000 },
    );
    expect(result.data.snippets.nodes).toHaveLength(100);
    expect(result.data.snippets.pageInfo.hasNextPage).toBe(true);
  });
});

describe('likePattern', () => {
  it('escapes LIKE wildcards and the escape character', () => {
    expect(likePattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });

  it('answers an edited cursor with BAD_USER_INPUT, not an internal error', async () => {
    const ws = await api.createWorkspace();
    await api.db.insert(snippets).values([
      { workspaceId: ws.workspaceId, name: 'one', body: 'x' },
      { workspaceId: ws.workspaceId, name: 'two', body: 'x' },
    ]);
    const query =
      'query ($after: String) { snippets(first: 1, after: $after) { nodes { name } pageInfo { endCursor } } }';
    const first = await api.gql(ws.apiKey, query, { after: null });
    const cursor: string = first.data.snippets.pageInfo.endCursor;
    const decoded = Buffer.from(cursor, 'base64').toString('utf8');
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
    expect(decoded).toMatch(uuid);
    const edited = Buffer.from(decoded.replace(uuid, 'not-a-uuid')).toString('base64');
    const result = await api.gql(ws.apiKey, query, { after: edited });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

/**
 * A `creationOrder()` connection whose cursor rows can be deleted: its rows are labelled A–D
 * (oldest first), `label` reads a node's letter, and `filter` (when it has one) keeps C only.
 */
interface DeletedCursorCase {
  field: string;
  table: PgTable & { id: Json };
  /** The row values for `label` in `workspaceId` (createdAt is set by the test). */
  row(workspaceId: string, label: string): Record<string, unknown>;
  node: string;
  label(node: Json): string;
  filter?: { type: string; value: Record<string, unknown> };
}

const DELETED_CURSOR_CASES: DeletedCursorCase[] = [
  {
    field: 'files',
    table: files,
    row: (workspaceId, label) => ({
      workspaceId,
      name: `${label}.png`,
      contentType: label === 'C' ? 'image/png' : 'text/plain',
      sizeBytes: 1,
      url: `https://example.com/${label}.png`,
    }),
    node: 'name',
    label: (node) => node.name[0],
    filter: { type: 'FileFilter', value: { contentTypePrefix: 'image/' } },
  },
  {
    field: 'channels',
    table: channels,
    row: (workspaceId, label) => ({
      workspaceId,
      type: label === 'C' ? 'sms' : 'email',
      name: label,
    }),
    node: 'name',
    label: (node) => node.name,
    filter: { type: 'ChannelFilter', value: { type: 'SMS' } },
  },
  {
    field: 'snippets',
    table: snippets,
    row: (workspaceId, label) => ({ workspaceId, name: label.toLowerCase(), body: 'x' }),
    node: 'name',
    label: (node) => node.name.toUpperCase(),
    filter: { type: 'SnippetFilter', value: { search: 'c' } },
  },
  {
    field: 'webhookEndpoints',
    table: webhookEndpoints,
    row: (workspaceId, label) => ({
      workspaceId,
      url: `https://example.com/${label}`,
      secretCiphertext: 'x',
    }),
    node: 'url',
    label: (node) => node.url.slice(-1),
  },
  {
    field: 'workflows',
    table: workflows,
    row: (workspaceId, label) => ({
      workspaceId,
      name: label,
      description: label === 'C' ? 'the only one to find' : null,
    }),
    node: 'name',
    label: (node) => node.name,
    filter: { type: 'WorkflowFilter', value: { search: 'ONLY ONE' } },
  },
];

describe('pageInfo past a deleted cursor', () => {
  it.each(DELETED_CURSOR_CASES)(
    '$field: reports it from the rows that remain, in either direction',
    async (spec) => {
      const ws = await api.createWorkspace();
      const other = await api.createWorkspace();
      const at = (second: number) => sql`${`2026-01-01 00:00:0${second}+00`}::timestamptz`;
      const ids = (
        await api.db
          .insert(spec.table)
          .values(
            ['A', 'B', 'C', 'D'].map((label, index) => ({
              ...spec.row(ws.workspaceId, label),
              createdAt: at(index + 1),
            })),
          )
          .returning({ id: spec.table.id })
      ).map((row) => row.id as string);
      // Another workspace's rows, before and after them all, are not this connection's rows.
      await api.db.insert(spec.table).values([
        { ...spec.row(other.workspaceId, 'A'), createdAt: at(0) },
        { ...spec.row(other.workspaceId, 'D'), createdAt: at(9) },
      ]);
      const filterVar = spec.filter ? `, $filter: ${spec.filter.type}` : '';
      const filterArg = spec.filter ? ', filter: $filter' : '';
      const query = `query ($first: Int, $last: Int, $after: String, $before: String${filterVar}) {
      ${spec.field}(first: $first, last: $last, after: $after, before: $before${filterArg}) {
        nodes { ${spec.node} }
        pageInfo { hasNextPage hasPreviousPage endCursor }
      }
    }`;
      const page = async (vars: Record<string, unknown>) => {
        const result = await api.gql(ws.apiKey, query, vars);
        expect(result.errors, JSON.stringify(vars)).toBeUndefined();
        const connection = result.data[spec.field];
        return {
          labels: connection.nodes.map(spec.label).join(''),
          next: connection.pageInfo.hasNextPage,
          prev: connection.pageInfo.hasPreviousPage,
          end: connection.pageInfo.endCursor as string,
        };
      };
      const cursors: string[] = [];
      for (let i = 0; i < 4; i++) {
        cursors.push((await page({ first: 1, after: cursors[i - 1] ?? null })).end);
      }
      const shape = async (vars: Record<string, unknown>) => {
        const { end: _, ...rest } = await page(vars);
        return rest;
      };
      // Live cursors: rows lie beyond them.
      expect(await shape({ first: 2, after: cursors[0] })).toEqual({
        labels: 'BC',
        next: true,
        prev: true,
      });
      expect(await shape({ last: 2, before: cursors[3] })).toEqual({
        labels: 'BC',
        next: true,
        prev: true,
      });
      // Delete A and D: the cursors at the ends now name nothing, and nothing lies beyond them.
      await api.db.delete(spec.table).where(inArray(spec.table.id, [ids[0]!, ids[3]!]));
      expect(await shape({ first: 5, after: cursors[0] })).toEqual({
        labels: 'BC',
        next: false,
        prev: false,
      });
      expect(await shape({ last: 5, before: cursors[3] })).toEqual({
        labels: 'BC',
        next: false,
        prev: false,
      });
      expect(await shape({ first: 1, after: cursors[0] })).toEqual({
        labels: 'B',
        next: true,
        prev: false,
      });
      expect(await shape({ last: 1, before: cursors[3] })).toEqual({
        labels: 'C',
        next: false,
        prev: true,
      });
      expect(await shape({ first: 5, before: cursors[3] })).toEqual({
        labels: 'BC',
        next: false,
        prev: false,
      });
      expect(await shape({ last: 5, after: cursors[0] })).toEqual({
        labels: 'BC',
        next: false,
        prev: false,
      });
      // A live cursor still has its row beyond it.
      expect(await shape({ first: 5, after: cursors[1] })).toEqual({
        labels: 'C',
        next: false,
        prev: true,
      });
      expect(await shape({ last: 5, before: cursors[2] })).toEqual({
        labels: 'B',
        next: true,
        prev: false,
      });
      if (spec.filter) {
        // Only rows the filter keeps count: B lies before C, but the filter leaves it out.
        expect(await shape({ first: 5, after: cursors[1], filter: spec.filter.value })).toEqual({
          labels: 'C',
          next: false,
          prev: false,
        });
        expect(await shape({ last: 5, before: cursors[3], filter: spec.filter.value })).toEqual({
          labels: 'C',
          next: false,
          prev: false,
        });
      }
    },
  );
});

describe('workflows pageInfo past a cursor, filtered by status', () => {
  it('counts only the rows of the status asked for', async () => {
    const ws = await api.createWorkspace();
    await api.db.insert(workflows).values(
      ['A', 'B', 'C'].map((name, index) => ({
        workspaceId: ws.workspaceId,
        name,
        createdAt: sql`${`2026-01-01 00:00:0${index + 1}+00`}::timestamptz`,
      })),
    );
    const query = `query ($after: String, $before: String, $status: WorkflowStatus) {
      workflows(first: 5, after: $after, before: $before, filter: { status: $status }) {
        nodes { name }
        pageInfo { hasNextPage hasPreviousPage endCursor }
      }
    }`;
    const all = await api.gql(ws.apiKey, query, {});
    const cursor: string = (await api.gql(ws.apiKey, query.replace('first: 5', 'first: 2'), {}))
      .data.workflows.pageInfo.endCursor;
    expect(all.data.workflows.nodes.map((n: { name: string }) => n.name)).toEqual(['A', 'B', 'C']);
    const drafts = await api.gql(ws.apiKey, query, { after: cursor, status: 'DRAFT' });
    expect(drafts.data.workflows.nodes).toEqual([{ name: 'C' }]);
    expect(drafts.data.workflows.pageInfo.hasPreviousPage).toBe(true);
    // None is published: no published row lies before B (or after it).
    const published = await api.gql(ws.apiKey, query, { after: cursor, status: 'PUBLISHED' });
    expect(published.data.workflows).toMatchObject({
      nodes: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false },
    });
    const publishedBefore = await api.gql(ws.apiKey, query, {
      before: cursor,
      status: 'PUBLISHED',
    });
    expect(publishedBefore.data.workflows.pageInfo.hasNextPage).toBe(false);
  });
});
