import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { snippets } from '../../db/schema';
import { useTestApi } from '../test-support';
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
