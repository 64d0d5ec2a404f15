import type { Message } from '@cloudflare/workers-types/latest';
import { and, count, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { type Json, useTestApi } from '../../api/test-support';
import { duringDelete } from '../../api/workflows/test-fixtures';
import { queryRows } from '../../db/rows';
import { contacts, runs, segmentStarts, workflows, workflowVersions } from '../../db/schema';
import { contactRunsLockKey, workflowRunsLockKey } from '../../db/start-runs';
import { publishWorkflow, waitFor } from '../dispatch/test-seed';
import { type ChunkDeps, startChunk } from './chunk';
import { failSegmentStarts } from './consumer';
import type { SegmentChunkMessage } from './message';
import { sweepSegmentStarts } from './sweep';

/**
 * Segment starts in Node, chunk by chunk: the API records a start and "sends" its first chunk to
 * a list; the tests deliver the chunk messages themselves (in order, twice, after a crash, after
 * a cancel) with a chunk size of 2, so every case is deterministic. What the filter means is
 * checked end to end: the API counts `total`, the chunks start the runs, and both must agree.
 * (edge/segments/segment-start.test.ts covers the same path through the queues in workerd.)
 */

/** Chunk messages "sent" (by the API and by chunks), oldest first. */
const sent: SegmentChunkMessage[] = [];
const api = useTestApi({
  dispatch: { send: async () => {} },
  segments: { send: async (message) => void sent.push(message) },
});

const CHUNK = 2;

function deps(overrides: Partial<ChunkDeps> = {}): ChunkDeps {
  return {
    db: api.db,
    dispatch: { send: async () => {} },
    segments: { send: async (message) => void sent.push(message) },
    chunkSize: CHUNK,
    ...overrides,
  };
}

const START = /* GraphQL */ `
  mutation ($input: StartWorkflowForSegmentInput!) {
    startWorkflowForSegment(input: $input) {
      __typename
      ... on MutationStartWorkflowForSegmentSuccess { data { id status total started filter } }
      ... on ValidationError { issues { code path message } }
      ... on NotFoundError { entity id }
    }
  }
`;

const PROGRESS = /* GraphQL */ `
  query ($id: ID!) { segmentStart(id: $id) { id status total started endedAt } }
`;

const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) {
    cancelSegmentStart(id: $id) {
      __typename
      ... on MutationCancelSegmentStartSuccess { data { id status total started endedAt } }
      ... on NotFoundError { entity id }
    }
  }
`;

const CREATE_CONTACT = /* GraphQL */ `
  mutation ($input: ContactInput!) {
    createContact(input: $input) {
      __typename
      ... on MutationCreateContactSuccess { data { id } }
    }
  }
`;

/** A workspace with a published workflow whose entry step waits an hour. */
async function setup() {
  const workspace = await api.createWorkspace();
  const { workflowId } = await publishWorkflow(api.db, workspace.workspaceId, [
    { key: 'wait', type: 'wait', config: { seconds: 3600 } },
  ]);
  /** A contact written directly (any created_at, any custom field key). */
  const seed = async (fields: Partial<typeof contacts.$inferInsert> = {}) => {
    const [row] = await api.db
      .insert(contacts)
      .values({ workspaceId: workspace.workspaceId, firstName: 'X', ...fields })
      .returning({ id: contacts.id });
    return row!.id;
  };
  /** A contact created through the API, stored as the API normalises it. */
  const create = async (input: Record<string, unknown>) => {
    const result = await api.gql(workspace.apiKey, CREATE_CONTACT, { input });
    const created = result.data?.createContact;
    if (created?.__typename !== 'MutationCreateContactSuccess') {
      throw new Error(`createContact failed: ${JSON.stringify(result)}`);
    }
    return created.data.id as string;
  };
  return { ...workspace, workflowId, seed, create };
}

async function start(apiKey: string, input: Record<string, unknown>): Promise<Json> {
  const result = await api.gql(apiKey, START, { input });
  if (result.errors) return { errors: result.errors };
  return result.data.startWorkflowForSegment;
}

async function startOk(apiKey: string, input: Record<string, unknown>) {
  const payload = await start(apiKey, input);
  if (payload.__typename !== 'MutationStartWorkflowForSegmentSuccess') {
    throw new Error(`startWorkflowForSegment failed: ${JSON.stringify(payload)}`);
  }
  return payload.data as { id: string; status: string; total: number; started: number };
}

/** Takes the oldest pending chunk message of this start off the list. */
function takeMessage(segmentStartId: string): SegmentChunkMessage | undefined {
  const index = sent.findIndex((message) => message.segmentStartId === segmentStartId);
  return index < 0 ? undefined : sent.splice(index, 1)[0];
}

/** Delivers this start's pending chunk messages, in order, until none is left. */
async function drain(segmentStartId: string) {
  for (let message = takeMessage(segmentStartId); message; message = takeMessage(segmentStartId)) {
    await startChunk(message, deps());
  }
}

/** The contact ids with a run of this segment start, sorted. */
async function startedContacts(segmentStartId: string): Promise<string[]> {
  const rows = await api.db
    .select({ contactId: runs.contactId })
    .from(runs)
    .where(eq(runs.segmentStartId, segmentStartId));
  return rows.map((row) => row.contactId).sort();
}

/**
 * The contacts `filter` reaches: starts the workflow for it, runs every chunk, and checks that
 * the `total` the API counted is what the chunks started (nothing changed in between).
 */
async function reached(
  workspace: { apiKey: string; workflowId: string },
  filter: Record<string, unknown>,
): Promise<string[]> {
  const started = await startOk(workspace.apiKey, { workflowId: workspace.workflowId, filter });
  await drain(started.id);
  const ids = await startedContacts(started.id);
  expect(ids, 'the chunks start what the API counted').toHaveLength(started.total);
  return ids;
}

async function progress(apiKey: string, id: string) {
  return (await api.gql(apiKey, PROGRESS, { id })).data?.segmentStart;
}

async function segmentStartCount(workspaceId: string): Promise<number> {
  const [row] = await api.db
    .select({ n: count() })
    .from(segmentStarts)
    .where(eq(segmentStarts.workspaceId, workspaceId));
  return row!.n;
}

/** A queue message as the dead letter consumer receives it. */
function queueMessage(body: unknown): Message<unknown> {
  return {
    id: crypto.randomUUID(),
    body,
    timestamp: new Date(),
    attempts: 11,
    ack() {},
    retry() {},
  } as unknown as Message<unknown>;
}

const sorted = (ids: string[]) => [...ids].sort();

/**
 * Runs `statement` in a transaction of its own connection, then `chunk()`; commits once the
 * chunk's statement (or the statement whose text contains `waiting`) waits for that
 * transaction's locks, and returns how the chunk ended.
 */
async function racing<T>(
  statement: string,
  params: unknown[],
  chunk: () => Promise<T>,
  waiting = 'picked as',
): Promise<PromiseSettledResult<T>> {
  const other = new pg.Client({ connectionString: inject('databaseUrl') });
  await other.connect();
  try {
    const pid = (await other.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    await other.query('begin');
    await other.query(statement, params);
    const outcome = chunk().then(
      (value) => ({ status: 'fulfilled', value }) as const,
      (reason: unknown) => ({ status: 'rejected', reason }) as const,
    );
    // Asked on another connection: a transaction sees pg_stat_activity as it first read it.
    await waitFor(
      async () =>
        (
          await queryRows(
            api.db,
            sql`select 1 from pg_stat_activity
                where ${pid}::int = any(pg_blocking_pids(pid))
                  and strpos(query, ${waiting}) > 0`,
          )
        ).length > 0,
      { intervalMs: 20, what: `the statement with "${waiting}" to wait for the other transaction` },
    );
    await other.query('commit');
    return await outcome;
  } finally {
    await other.end();
  }
}

describe('what a filter matches', () => {
  it('custom fields: equals is exact and case-sensitive, contains ignores case (Unicode too), a missing field matches neither', async () => {
    const workspace = await setup();
    const { seed } = workspace;
    const gold = await seed({ customFields: { plan: 'Gold', city: 'ÉVRY-Courcouronnes' } });
    const lowerGold = await seed({ customFields: { plan: 'gold', city: 'Saint-Étienne' } });
    const spaced = await seed({ customFields: { plan: 'Gold ', city: 'ΑΘΗΝΑ' } });
    const empty = await seed({ customFields: { plan: '', city: '' } });
    const missing = await seed({ customFields: { other: 'Gold' } });

    expect(await reached(workspace, { customFields: [{ key: 'plan', equals: 'Gold' }] })).toEqual([
      gold,
    ]);
    // An empty text is a value a field may hold; a missing field has none.
    expect(await reached(workspace, { customFields: [{ key: 'plan', equals: '' }] })).toEqual([
      empty,
    ]);
    expect(await reached(workspace, { customFields: [{ key: 'plan', contains: 'GOLD' }] })).toEqual(
      sorted([gold, lowerGold, spaced]),
    );
    expect(await reached(workspace, { customFields: [{ key: 'city', contains: 'évry' }] })).toEqual(
      [gold],
    );
    expect(
      await reached(workspace, { customFields: [{ key: 'city', contains: 'ÉTIENNE' }] }),
    ).toEqual([lowerGold]);
    expect(await reached(workspace, { customFields: [{ key: 'city', contains: 'αθή' }] })).toEqual(
      [],
    );
    expect(await reached(workspace, { customFields: [{ key: 'city', contains: 'αθη' }] })).toEqual([
      spaced,
    ]);
    // Keys are exact: `Plan` is another field.
    expect(await reached(workspace, { customFields: [{ key: 'Plan', contains: 'g' }] })).toEqual(
      [],
    );
    // Every condition must hold; an empty list of conditions is no condition.
    expect(
      await reached(workspace, {
        customFields: [
          { key: 'plan', contains: 'gold' },
          { key: 'city', contains: 'e' },
        ],
      }),
    ).toEqual(sorted([gold, lowerGold]));
    expect(await reached(workspace, { customFields: [] })).toEqual(
      sorted([gold, lowerGold, spaced, empty, missing]),
    );
  });

  it('custom field values and keys are matched literally: quotes, backslashes, %, _, JSON and JSON path text', async () => {
    const workspace = await setup();
    const { seed } = workspace;
    const quoted = await seed({ customFields: { note: `O'Brien "the" \\ 100% a_b` } });
    const jsonPath = await seed({ customFields: { note: '$.plan[*] ? (@ == "x")' } });
    const jsonText = await seed({ customFields: { note: '{"plan":"Gold"}' } });
    const injection = await seed({ customFields: { note: "x' or '1'='1" } });
    const plain = await seed({ customFields: { note: 'plain', plan: 'Gold' } });
    // Keys that name Object.prototype's members in JavaScript are ordinary keys here.
    const proto = await seed({
      customFields: JSON.parse('{"__proto__":"p","constructor":"Builder"}'),
    });

    const equals = (value: string) =>
      reached(workspace, { customFields: [{ key: 'note', equals: value }] });
    const contains = (value: string) =>
      reached(workspace, { customFields: [{ key: 'note', contains: value }] });
    expect(await equals(`O'Brien "the" \\ 100% a_b`)).toEqual([quoted]);
    expect(await equals('{"plan":"Gold"}')).toEqual([jsonText]);
    expect(await equals('$.plan[*] ? (@ == "x")')).toEqual([jsonPath]);
    expect(await equals("x' or '1'='1")).toEqual([injection]);
    expect(await equals("' or 1=1 --")).toEqual([]);
    expect(await contains('%')).toEqual([quoted]);
    expect(await contains('_')).toEqual([quoted]);
    expect(await contains('a%b')).toEqual([]);
    expect(await contains('\\')).toEqual([quoted]);
    expect(await contains("'")).toEqual(sorted([quoted, injection]));
    expect(await contains('"')).toEqual(sorted([quoted, jsonPath, jsonText]));
    expect(await contains('[*]')).toEqual([jsonPath]);
    expect(await contains('.*')).toEqual([]);
    expect(await reached(workspace, { customFields: [{ key: '__proto__', equals: 'p' }] })).toEqual(
      [proto],
    );
    expect(
      await reached(workspace, { customFields: [{ key: 'constructor', contains: 'BUILD' }] }),
    ).toEqual([proto]);
    expect(await reached(workspace, { customFields: [{ key: 'plan', equals: 'Gold' }] })).toEqual([
      plain,
    ]);

    // A key that is not a plain identifier never reaches SQL: it is refused by name.
    const keys = ["plan'--", 'a.b', 'plan"', '$.plan', 'plan[0]', 'a b', 'pl%n', '{plan}', ''];
    const refused = await start(workspace.apiKey, {
      workflowId: workspace.workflowId,
      filter: { customFields: keys.map((key) => ({ key, equals: 'Gold' })) },
    });
    expect(refused.__typename).toBe('ValidationError');
    expect(refused.issues.map((issue: { path: string }) => issue.path)).toEqual(
      keys.map((_, index) => `filter.customFields[${index}].key`),
    );
  });

  it('countries and languages as the API stores them: codes in any case, a language tag or its subtags', async () => {
    const workspace = await setup();
    const { create } = workspace;
    const en = await create({ language: 'en', country: 'gb' });
    const enGb = await create({ language: 'EN-gb', country: 'GB' });
    const enLatnGb = await create({ language: 'en-latn-gb', country: 'US' });
    const fr = await create({ language: 'fr', country: 'FR' });
    const none = await create({ firstName: 'No language or country' });

    expect(await reached(workspace, { languages: ['EN'] })).toEqual(sorted([en, enGb, enLatnGb]));
    expect(await reached(workspace, { languages: ['en-GB'] })).toEqual([enGb]);
    expect(await reached(workspace, { languages: ['en-Latn'] })).toEqual([enLatnGb]);
    expect(await reached(workspace, { countries: ['gb', 'fr'] })).toEqual(sorted([en, enGb, fr]));
    expect(await reached(workspace, { countries: ['gb'], languages: ['en-gb'] })).toEqual([enGb]);
    expect(await reached(workspace, {})).toEqual(sorted([en, enGb, enLatnGb, fr, none]));
  });

  it('createdSince (at or after) and createdBefore (strictly before) are instants: offsets count, milliseconds too', async () => {
    const workspace = await setup();
    const { seed } = workspace;
    const at = (iso: string) => seed({ createdAt: new Date(iso) });
    const justBefore = await at('2026-03-29T00:59:59.999Z');
    const since = await at('2026-03-29T01:00:00.000Z');
    const inside = await at('2026-03-29T01:59:59.999Z');
    const before = await at('2026-03-29T02:00:00.000Z');

    const window = {
      // 01:00Z and 02:00Z, written in other zones (one of them across a DST change in Paris).
      createdSince: '2026-03-29T03:00:00+02:00',
      createdBefore: '2026-03-28T21:00:00-05:00',
    };
    expect(await reached(workspace, window)).toEqual(sorted([since, inside]));
    expect(await reached(workspace, { createdSince: '2026-03-29T01:00:00Z' })).toEqual(
      sorted([since, inside, before]),
    );
    expect(await reached(workspace, { createdBefore: '2026-03-29T01:00:00.000Z' })).toEqual([
      justBefore,
    ]);
    // Stored and shown as the instants they are, in UTC.
    const payload = await start(workspace.apiKey, {
      workflowId: workspace.workflowId,
      filter: window,
    });
    expect(payload.data.filter).toEqual({
      createdSince: '2026-03-29T01:00:00.000Z',
      createdBefore: '2026-03-29T02:00:00.000Z',
    });
  });

  it('hasEmail and hasPhone: true means has one, false means has none', async () => {
    const workspace = await setup();
    const { create } = workspace;
    const both = await create({ email: 'a@example.com', phone: '+14155550100' });
    const emailOnly = await create({ email: 'b@example.com', phone: '  ' });
    const phoneOnly = await create({ phone: '+14155550101', email: '' });
    const neither = await create({ firstName: 'Nobody' });
    expect(await reached(workspace, { hasEmail: true })).toEqual(sorted([both, emailOnly]));
    expect(await reached(workspace, { hasEmail: false })).toEqual(sorted([phoneOnly, neither]));
    expect(await reached(workspace, { hasEmail: false, hasPhone: true })).toEqual([phoneOnly]);
    expect(await reached(workspace, { hasEmail: null, hasPhone: false })).toEqual(
      sorted([emailOnly, neither]),
    );
  });

  it('every matching contact whatever its id: the nil uuid and the largest uuid are reached too', async () => {
    const workspace = await setup();
    const ids = [
      await workspace.seed({ id: '00000000-0000-0000-0000-000000000000' }),
      await workspace.seed(),
      await workspace.seed({ id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' }),
    ];
    // `reached` also holds the chunks to the `total` the API counted.
    expect(await reached(workspace, {})).toEqual(sorted(ids));
  });
});

describe('bad input is a typed error and records nothing', () => {
  it('a custom field value with a lone UTF-16 surrogate, or a createdSince/createdBefore outside years 0001 to 9999: the request is refused whole', async () => {
    const { apiKey, workflowId, workspaceId } = await setup();
    const refused = [
      { customFields: [{ key: 'plan', equals: 'Gold \ud800' }] },
      { customFields: [{ key: 'city', contains: '\udfff' }] },
      { createdSince: '0000-06-01T00:00:00Z' },
      { createdSince: '-010000-01-01T00:00:00Z' },
      { createdBefore: '+010000-01-01T00:00:00Z' },
      { createdBefore: '0001-01-01T00:30:00+01:00' },
    ];
    for (const filter of refused) {
      const payload = await start(apiKey, { workflowId, filter });
      expect(payload.errors?.[0]?.message, JSON.stringify(filter)).toMatch(
        /Invalid DateTime|must be valid Unicode/,
      );
    }
    expect(await segmentStartCount(workspaceId)).toBe(0);
    // The edges themselves are fine.
    const edges = await startOk(apiKey, {
      workflowId,
      filter: { createdSince: '0001-01-01T00:00:00Z', createdBefore: '9999-12-31T23:59:59.999Z' },
    });
    expect(edges.status).toBe('COMPLETED');
    expect(await segmentStartCount(workspaceId)).toBe(1);
  });

  it('an unknown condition (there is no tag filter), and a workflow deleted or never published', async () => {
    const { apiKey, workflowId, workspaceId, seed } = await setup();
    await seed();
    const tags = await start(apiKey, { workflowId, filter: { tags: ['vip'] } });
    expect(tags.errors?.[0]?.message).toMatch(/tags/);
    // A workflow deleted while one of its starts runs takes the start with it; its pending
    // chunk finds nothing to do.
    const running = await startOk(apiKey, { workflowId, filter: {} });
    const deleted = await api.gql(
      apiKey,
      'mutation ($id: ID!) { deleteWorkflow(id: $id) { __typename ... on MutationDeleteWorkflowSuccess { data } } }',
      { id: workflowId },
    );
    expect(deleted.data.deleteWorkflow).toEqual({
      __typename: 'MutationDeleteWorkflowSuccess',
      data: workflowId,
    });
    expect(await startChunk(takeMessage(running.id)!, deps())).toEqual({ kind: 'stale' });
    expect(await progress(apiKey, running.id)).toBeNull();
    expect(await start(apiKey, { workflowId, filter: {} })).toMatchObject({
      __typename: 'NotFoundError',
      entity: 'Workflow',
    });
    const created = await api.gql(
      apiKey,
      'mutation { createWorkflow(input: { name: "Draft" }) { ... on MutationCreateWorkflowSuccess { data { id } } } }',
    );
    const unpublished = await start(apiKey, {
      workflowId: created.data.createWorkflow.data.id,
      filter: {},
    });
    expect(unpublished.__typename).toBe('ValidationError');
    expect(unpublished.issues.map((issue: { path: string }) => issue.path)).toEqual(['workflowId']);
    expect(await segmentStartCount(workspaceId)).toBe(0);
  });

  it('a workflow deleted while the start is being recorded: NotFoundError, nothing recorded', async () => {
    const { apiKey, workflowId, workspaceId, seed } = await setup();
    await seed();
    // The delete commits after the API found the workflow, while its insert waits for the row.
    const outcome = await racing(
      'delete from workflows where id = $1',
      [workflowId],
      () => start(apiKey, { workflowId, filter: {} }),
      'insert into "segment_starts"',
    );
    expect(outcome).toEqual({
      status: 'fulfilled',
      value: { __typename: 'NotFoundError', entity: 'Workflow', id: workflowId },
    });
    expect(await segmentStartCount(workspaceId)).toBe(0);
  });

  it('a filter matching nobody is no error: the start is completed at once and sends no chunk', async () => {
    const { apiKey, workflowId, seed } = await setup();
    await seed({ country: 'FR' });
    const none = await startOk(apiKey, { workflowId, filter: { countries: ['JP'] } });
    expect(none).toMatchObject({ status: 'COMPLETED', total: 0, started: 0 });
    expect(sent.filter((message) => message.segmentStartId === none.id)).toEqual([]);
    expect((await progress(apiKey, none.id)).endedAt).toBeTruthy();
  });
});

describe('each contact is started once, whatever the queue does', () => {
  it('copies of one chunk message delivered at the same time start its contacts once', async () => {
    const { apiKey, workflowId, seed } = await setup();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await seed());
    const started = await startOk(apiKey, { workflowId, filter: {} });
    const first = takeMessage(started.id)!;
    const outcomes = await Promise.all([1, 2, 3].map(() => startChunk(first, deps())));
    expect(outcomes.filter((outcome) => outcome.kind === 'started')).toHaveLength(1);
    // Only the copy that started runs sent the next chunk.
    expect(sent.filter((message) => message.segmentStartId === started.id)).toHaveLength(1);
    await drain(started.id);
    expect(await startedContacts(started.id)).toEqual(sorted(ids));
    expect(await progress(apiKey, started.id)).toMatchObject({
      status: 'COMPLETED',
      total: 5,
      started: 5,
    });
  });

  it('a consumer that dies after its chunk committed: the redelivery starts nothing, the sweep resumes the start', async () => {
    const { apiKey, workflowId, seed } = await setup();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await seed());
    const started = await startOk(apiKey, { workflowId, filter: {} });
    const first = takeMessage(started.id)!;
    const crashing = deps({
      segments: {
        send: async () => {
          throw new Error('isolate gone');
        },
      },
    });
    await expect(startChunk(first, crashing)).rejects.toThrow('isolate gone');
    expect((await progress(apiKey, started.id)).started).toBe(CHUNK);
    expect(await startChunk(first, deps())).toEqual({ kind: 'stale' });

    // Five minutes later the sweep sends the lost next chunk (twice, say: two crons overlapped).
    await api.db
      .update(segmentStarts)
      .set({ updatedAt: new Date(Date.now() - 10 * 60_000) })
      .where(eq(segmentStarts.id, started.id));
    const swept: SegmentChunkMessage[] = [];
    await sweepSegmentStarts(api.db, { send: async (message) => void swept.push(message) });
    const resent = swept.filter((message) => message.segmentStartId === started.id);
    expect(resent).toHaveLength(1);
    sent.push(resent[0]!, resent[0]!);
    await drain(started.id);
    expect(await startedContacts(started.id)).toEqual(sorted(ids));
    expect(await progress(apiKey, started.id)).toMatchObject({ status: 'COMPLETED', started: 5 });
  });

  it('a chunk whose statement fails (a contact deleted under it) changes nothing; its retry goes on without that contact', async () => {
    const { apiKey, workflowId, seed } = await setup();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await seed());
    const started = await startOk(apiKey, { workflowId, filter: {} });
    const first = takeMessage(started.id)!;
    const victim = sorted(ids)[0]!;
    // The chunk picked the contact; its run's insert waits for the delete, which then commits.
    const outcome = await racing('delete from contacts where id = $1', [victim], () =>
      startChunk(first, deps({ chunkSize: 10 })),
    );
    expect(outcome.status).toBe('rejected');
    expect(await progress(apiKey, started.id)).toMatchObject({ status: 'RUNNING', started: 0 });
    expect(await startChunk(first, deps({ chunkSize: 10 }))).toMatchObject({ kind: 'started' });
    expect(await startedContacts(started.id)).toEqual(sorted(ids).slice(1));
    expect(await progress(apiKey, started.id)).toMatchObject({
      status: 'COMPLETED',
      total: 3,
      started: 2,
    });
  });

  it('contacts created or deleted meanwhile: reached if not yet passed and still matching, so started may end above or below total', async () => {
    const { apiKey, workflowId, seed } = await setup();
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await seed({ country: 'FR' }));
    const started = await startOk(apiKey, { workflowId, filter: { countries: ['FR'] } });
    expect(started.total).toBe(4);
    await startChunk(takeMessage(started.id)!, deps());
    const [cursor] = (
      await api.db
        .select({ cursor: segmentStarts.cursor })
        .from(segmentStarts)
        .where(eq(segmentStarts.id, started.id))
    ).map((row) => row.cursor!);
    const notYet = sorted(ids).filter((id) => id > cursor!);
    // Two contacts after the cursor: one deleted, one no longer matching; three new ones after it.
    await api.db.delete(contacts).where(eq(contacts.id, notYet[0]!));
    await api.db.update(contacts).set({ country: 'DE' }).where(eq(contacts.id, notYet[1]!));
    const late = [
      await seed({ id: 'ffffffff-ffff-4fff-bfff-fffffffffff1', country: 'FR' }),
      await seed({ id: 'ffffffff-ffff-4fff-bfff-fffffffffff2', country: 'FR' }),
      await seed({ id: 'ffffffff-ffff-4fff-bfff-fffffffffff3', country: 'FR' }),
      await seed({ id: 'ffffffff-ffff-4fff-bfff-fffffffffff4', country: 'DE' }),
    ];
    // And one before the cursor: its place was passed already.
    await seed({ id: '00000000-0000-4000-8000-000000000001', country: 'FR' });
    await drain(started.id);
    const expected = sorted([...sorted(ids).filter((id) => id <= cursor!), ...late.slice(0, 3)]);
    expect(await startedContacts(started.id)).toEqual(expected);
    expect(await progress(apiKey, started.id)).toMatchObject({
      status: 'COMPLETED',
      total: 4,
      started: 5,
    });
  });
});

describe('the version', () => {
  it('every chunk starts runs of the version published when the start was requested', async () => {
    const { apiKey, workflowId, workspaceId, seed } = await setup();
    for (let i = 0; i < 5; i++) await seed();
    const started = await startOk(apiKey, { workflowId, filter: {} });
    await startChunk(takeMessage(started.id)!, deps());
    const workflow = await api.db.query.workflows.findFirst({ where: { id: workflowId } });
    const first = await api.db.query.workflowVersions.findFirst({
      where: { id: workflow!.publishedVersionId! },
    });
    const [second] = await api.db
      .insert(workflowVersions)
      .values({
        workspaceId,
        workflowId,
        version: 2,
        graph: first!.graph,
        report: { errors: [], warnings: [] },
      })
      .returning({ id: workflowVersions.id });
    await api.db
      .update(workflows)
      .set({ publishedVersionId: second!.id })
      .where(eq(workflows.id, workflowId));
    await drain(started.id);
    const versions = await api.db
      .select({ versionId: runs.versionId })
      .from(runs)
      .where(eq(runs.segmentStartId, started.id));
    expect(versions).toHaveLength(5);
    expect(new Set(versions.map((run) => run.versionId))).toEqual(new Set([first!.id]));
  });
});

describe('cancelling', () => {
  it('a cancel committed while a chunk waits for the start row: the chunk starts nothing', async () => {
    const { apiKey, workflowId, seed } = await setup();
    for (let i = 0; i < 3; i++) await seed();
    const started = await startOk(apiKey, { workflowId, filter: {} });
    const first = takeMessage(started.id)!;
    // The chunk reads the start as running, then its statement waits for the cancel's lock.
    const outcome = await racing(
      `update segment_starts set status = 'cancelled', ended_at = now() where id = $1`,
      [started.id],
      () => startChunk(first, deps()),
    );
    expect(outcome).toEqual({ status: 'fulfilled', value: { kind: 'stale' } });
    expect(await startedContacts(started.id)).toEqual([]);
    expect(sent.filter((message) => message.segmentStartId === started.id)).toEqual([]);
    expect(await progress(apiKey, started.id)).toMatchObject({ status: 'CANCELLED', started: 0 });
  });

  it('stops further chunks, is idempotent, and leaves counters that match the runs', async () => {
    const { apiKey, workflowId, seed } = await setup();
    for (let i = 0; i < 6; i++) await seed();
    const started = await startOk(apiKey, { workflowId, filter: {} });
    await startChunk(takeMessage(started.id)!, deps());
    const pending = takeMessage(started.id)!;
    const cancelled = (await api.gql(apiKey, CANCEL, { id: started.id })).data.cancelSegmentStart;
    expect(cancelled.data).toMatchObject({ status: 'CANCELLED', total: 6, started: CHUNK });
    expect(cancelled.data.endedAt).toBeTruthy();
    // The chunk message already on the queue starts nothing, and sends nothing further.
    expect(await startChunk(pending, deps())).toEqual({ kind: 'stale' });
    expect(sent.filter((message) => message.segmentStartId === started.id)).toEqual([]);
    // Neither does the sweep, however long the start stays idle.
    await api.db
      .update(segmentStarts)
      .set({ updatedAt: new Date(Date.now() - 60 * 60_000) })
      .where(eq(segmentStarts.id, started.id));
    const swept: SegmentChunkMessage[] = [];
    await sweepSegmentStarts(api.db, { send: async (message) => void swept.push(message) });
    expect(swept.filter((message) => message.segmentStartId === started.id)).toEqual([]);
    const again = (await api.gql(apiKey, CANCEL, { id: started.id })).data.cancelSegmentStart;
    expect(again.data).toEqual(cancelled.data);
    expect(await startedContacts(started.id)).toHaveLength(CHUNK);
  });

  it('a finished start stays as it ended: COMPLETED with its counters, or FAILED', async () => {
    const { apiKey, workflowId, seed } = await setup();
    for (let i = 0; i < 3; i++) await seed();
    const done = await startOk(apiKey, { workflowId, filter: {} });
    await drain(done.id);
    const before = await progress(apiKey, done.id);
    expect(before).toMatchObject({ status: 'COMPLETED', total: 3, started: 3 });
    const cancelled = (await api.gql(apiKey, CANCEL, { id: done.id })).data.cancelSegmentStart;
    expect(cancelled.data).toEqual(before);

    const broken = await startOk(apiKey, { workflowId, filter: {} });
    await failSegmentStarts([queueMessage({ v: 1, ...takeMessage(broken.id)! })], api.db);
    const failed = await progress(apiKey, broken.id);
    expect(failed).toMatchObject({ status: 'FAILED', started: 0 });
    expect((await api.gql(apiKey, CANCEL, { id: broken.id })).data.cancelSegmentStart.data).toEqual(
      failed,
    );
  });
});

describe('dead letters', () => {
  it('a dead-lettered copy of a chunk another delivery already did does not fail the start', async () => {
    const { apiKey, workflowId, seed } = await setup();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await seed());
    const started = await startOk(apiKey, { workflowId, filter: {} });
    const first = takeMessage(started.id)!;
    // One copy started the chunk; another copy of the same message kept failing meanwhile.
    await startChunk(first, deps());
    await failSegmentStarts([queueMessage({ v: 1, ...first })], api.db);
    expect((await progress(apiKey, started.id)).status).toBe('RUNNING');
    await drain(started.id);
    expect(await startedContacts(started.id)).toEqual(sorted(ids));
    expect(await progress(apiKey, started.id)).toMatchObject({ status: 'COMPLETED', started: 5 });
  });

  it('the chunk the start is waiting for, dead-lettered, fails it; later copies start nothing', async () => {
    const { apiKey, workflowId, seed } = await setup();
    for (let i = 0; i < 5; i++) await seed();
    const started = await startOk(apiKey, { workflowId, filter: {} });
    await startChunk(takeMessage(started.id)!, deps());
    const next = takeMessage(started.id)!;
    await failSegmentStarts([queueMessage({ v: 1, ...next }), queueMessage('garbage')], api.db);
    expect(await progress(apiKey, started.id)).toMatchObject({ status: 'FAILED', started: CHUNK });
    expect(await startChunk(next, deps())).toEqual({ kind: 'stale' });
    expect(await startedContacts(started.id)).toHaveLength(CHUNK);
  });
});

describe('workspaces', () => {
  it("a start reaches only its workspace's contacts, even between its own in id order; another workspace can neither read nor cancel it", async () => {
    const mine = await setup();
    const theirs = await setup();
    const ids = [
      await mine.seed({ id: '10000000-0000-4000-8000-000000000000', country: 'FR' }),
      await mine.seed({ id: '30000000-0000-4000-8000-000000000000', country: 'FR' }),
      await mine.seed({ id: '50000000-0000-4000-8000-000000000000', country: 'FR' }),
    ];
    for (const id of ['20000000', '40000000', '60000000']) {
      await theirs.seed({ id: `${id}-0000-4000-8000-000000000000`, country: 'FR' });
    }
    const started = await startOk(mine.apiKey, {
      workflowId: mine.workflowId,
      filter: { countries: ['FR'] },
    });
    expect(started.total).toBe(3);
    expect(await progress(theirs.apiKey, started.id)).toBeNull();
    const cancel = (await api.gql(theirs.apiKey, CANCEL, { id: started.id })).data
      .cancelSegmentStart;
    expect(cancel).toMatchObject({ __typename: 'NotFoundError', entity: 'SegmentStart' });
    // Their own start of the same filter moves nothing of ours.
    const theirStart = await startOk(theirs.apiKey, {
      workflowId: theirs.workflowId,
      filter: { countries: ['FR'] },
    });
    await drain(theirStart.id);
    await drain(started.id);
    expect(await startedContacts(started.id)).toEqual(ids);
    expect(await progress(mine.apiKey, started.id)).toMatchObject({
      status: 'COMPLETED',
      started: 3,
    });
    const [theirRuns] = await api.db
      .select({ n: count() })
      .from(runs)
      .where(and(eq(runs.workspaceId, theirs.workspaceId), eq(runs.segmentStartId, started.id)));
    expect(theirRuns!.n).toBe(0);
  });
});

describe('a chunk while its workflow is being deleted', () => {
  it("waits for the delete's start lock before inserting its runs", async () => {
    const { apiKey, workflowId, seed } = await setup();
    await seed();
    const running = await startOk(apiKey, { workflowId, filter: {} });
    const message = takeMessage(running.id)!;
    // A delete (here held after it took the workflow's start lock, before it ends the runs)
    // holds the lock exclusively, as deleteWorkflow does: the chunk waits (duringDelete fails
    // if it does not) and goes on once the lock is released (here the workflow is still
    // there). Without the lock, runs it committed between the delete's end of the active runs
    // and its delete went with the workflow without their run.exited.
    const outcome = await duringDelete(
      api.db,
      (tx) => tx.execute(sql`select pg_advisory_xact_lock(${workflowRunsLockKey(workflowId)})`),
      () => startChunk(message, deps()),
    );
    expect(outcome).toMatchObject({ kind: 'started', runs: 1 });
    expect(await api.db.select().from(runs).where(eq(runs.workflowId, workflowId))).toHaveLength(1);
  });
});

describe('a chunk while a contact of its workspace is being deleted', () => {
  it("waits for the delete's lock, and then does not pick the deleted contact", async () => {
    const { apiKey, workflowId, workspaceId, seed } = await setup();
    await seed();
    const gone = await seed();
    const running = await startOk(apiKey, { workflowId, filter: {} });
    const message = takeMessage(running.id)!;
    // A contact's deletion (here held after it deleted the contact) holds the workspace's
    // contact lock, as deleteContact does: the chunk waits (duringDelete fails if it does not)
    // and then picks the contacts that are left. Without the lock, a run it committed between
    // the delete's end of the contact's active runs and its delete went without its run.exited.
    const outcome = await duringDelete(
      api.db,
      async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${contactRunsLockKey(workspaceId)})`);
        await tx.delete(contacts).where(eq(contacts.id, gone));
      },
      () => startChunk(message, deps()),
    );
    expect(outcome).toMatchObject({ kind: 'started', runs: 1 });
    expect(await api.db.select().from(runs).where(eq(runs.workflowId, workflowId))).toHaveLength(1);
  });
});
