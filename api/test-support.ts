import { sql } from 'drizzle-orm';
import {
  type GraphQLField,
  type GraphQLNamedType,
  getNamedType,
  isAbstractType,
  isEnumType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { afterAll, expect, inject } from 'vitest';
import { accountLockKeys } from '../db/account-locks';
import type { Database } from '../db/client';
import { generateCredentialsKey } from '../db/credentials';
import { createNodePostgres } from '../db/drivers/node-postgres';
import { queryRows } from '../db/rows';
import { startJsonServer } from '../test/fakes/json-server';
import { issueApiKey } from './api-keys';
import { createWorkspaceWithKey } from './bootstrap';
import type { Scope } from './context';
import { type ApiDeps, type ApiServer, apiSchema, createApi } from './server';

/** Loosely typed JSON as tests read it back: any path may be walked without casts. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary response shapes
export type Json = any;

/** A GraphQL response as the tests see it. */
export interface GqlResponse {
  status: number;
  data: Json;
  errors: Json[] | undefined;
}

/** A workspace with an admin key (and helpers bound to it). */
export interface TestWorkspace {
  workspaceId: string;
  apiKey: string;
}

export interface TestApi {
  db: Database;
  yoga: ApiServer;
  /** The key used to encrypt channel credentials in this API instance. */
  credentialsKey: string;
  /**
   * Sends one GraphQL operation with `Authorization: Bearer <key>` (no header when null), with
   * no Accept header unless `accept` is given (Yoga then answers `application/json`).
   */
  gql(
    key: string | null,
    query: string,
    variables?: Record<string, unknown>,
    accept?: string,
  ): Promise<GqlResponse>;
  /** A fresh workspace with an admin key. */
  createWorkspace(name?: string): Promise<TestWorkspace>;
  /** Another key for an existing workspace, e.g. a read-only partner key. */
  createKey(workspaceId: string, scopes: Scope[]): Promise<string>;
  /** Creates a valid channel of `type` through the API (see TEST_CHANNEL_INPUTS); returns its id. */
  createChannel(key: string, type?: TestChannelType, name?: string): Promise<string>;
}

export type TestChannelType = keyof typeof TEST_CHANNEL_INPUTS;

/** A provider base URL nothing listens on (port 1 refuses connections at once). */
export const UNREACHABLE_PROVIDER = 'http://127.0.0.1:1';

/** A valid CreateChannelInput per channel type, for tests that just need a channel. */
export const TEST_CHANNEL_INPUTS = {
  EMAIL: {
    settings: {
      email: {
        host: 'smtp.example.com',
        port: 587,
        security: 'STARTTLS',
        fromAddress: 'support@example.com',
        fromName: 'Support',
      },
    },
    credentials: { email: { username: 'support', password: 'test-smtp-password' } },
  },
  WHATSAPP: {
    settings: {
      whatsapp: { phoneNumberId: '106540352242922', businessAccountId: '102290129340398' },
    },
    credentials: {
      whatsapp: { accessToken: 'EAAtest-whatsapp-access-token', appSecret: 'test-app-secret' },
    },
  },
  MESSENGER: {
    settings: { messenger: { pageId: '1234567890' } },
    credentials: {
      messenger: { pageAccessToken: 'EAAtest-page-access-token', appSecret: 'test-app-secret' },
    },
  },
  INSTAGRAM: {
    settings: { instagram: { instagramAccountId: '17841400000000001', pageId: '1234567890' } },
    credentials: {
      instagram: { pageAccessToken: 'EAAtest-page-access-token', appSecret: 'test-app-secret' },
    },
  },
  TELEGRAM: { credentials: { telegram: { botToken: '123456:test-telegram-bot-token' } } },
  SMS: {
    settings: { sms: { fromNumber: '+15005550006' } },
    credentials: { sms: { accountSid: 'ACtest', authToken: 'test-sms-auth-token' } },
  },
  CUSTOM: {
    settings: { custom: { url: 'https://hooks.example.com/messages' } },
    credentials: { custom: { signingSecret: 'whsec_test-signing-secret' } },
  },
} as const;

const CREATE_CHANNEL = `mutation ($input: CreateChannelInput!) {
  createChannel(input: $input) {
    __typename
    ... on MutationCreateChannelSuccess { data { id } }
    ... on ValidationError { issues { code path message } }
  }
}`;

/**
 * Every provider API the API calls when a channel is saved, verified or deleted, at a closed
 * port: no test reaches real providers, and checks fail fast unless a test points one at its
 * stand-in (a fresh object each call, for a test file to change).
 */
export function unreachableProviders(): Record<string, string> {
  return {
    GRAPH_API_URL: UNREACHABLE_PROVIDER,
    TELEGRAM_API_URL: UNREACHABLE_PROVIDER,
    LINE_API_URL: UNREACHABLE_PROVIDER,
    VIBER_API_URL: UNREACHABLE_PROVIDER,
    TWILIO_API_URL: UNREACHABLE_PROVIDER,
    TWILIO_CONTENT_API_URL: UNREACHABLE_PROVIDER,
    DIALOG360_API_URL: UNREACHABLE_PROVIDER,
  };
}

/**
 * Connects to this run's test database (see test/global-setup.ts), builds the API in-process
 * and closes the pool after the file's tests. Call once at the top of a test file.
 */
export function useTestApi(options: Partial<Omit<ApiDeps, 'db' | 'credentialsKey'>> = {}): TestApi {
  const postgres = createNodePostgres(inject('databaseUrl'), { max: 4 });
  afterAll(() => postgres.close());
  const credentialsKey = generateCredentialsKey();
  const yoga = createApi({
    db: postgres.db,
    credentialsKey,
    providerEndpoints: unreachableProviders(),
    ...options,
  });
  let workspaceCount = 0;

  const gql: TestApi['gql'] = async (key, query, variables, accept) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    if (accept) headers.accept = accept;
    const response = await yoga.fetch('http://api.test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Json; errors?: Json[] };
    return { status: response.status, data: body.data, errors: body.errors };
  };

  return {
    db: postgres.db,
    yoga,
    credentialsKey,
    gql,
    async createWorkspace(name = `Workspace ${++workspaceCount}`) {
      return createWorkspaceWithKey(postgres.db, { name, timezone: 'UTC' });
    },
    async createChannel(key, type = 'EMAIL', name = `${type} channel`) {
      const result = await gql(key, CREATE_CHANNEL, {
        input: { type, name, ...TEST_CHANNEL_INPUTS[type] },
      });
      const created = result.data?.createChannel;
      if (created?.__typename !== 'MutationCreateChannelSuccess') {
        throw new Error(`createChannel failed: ${JSON.stringify(result)}`);
      }
      return created.data.id;
    },
    async createKey(workspaceId, scopes) {
      const key = await issueApiKey(postgres.db, { workspaceId, name: 'Test key', scopes });
      return key.plaintext;
    },
  };
}

/**
 * A selection set of every field of a type, recursing into objects and every member of unions
 * and interfaces (to `depth` levels; connection fields take their default page). Lets a test
 * query "everything a client could see" and assert that a secret appears nowhere in it.
 */
export function selectAll(typeName: string, depth = 3): string {
  const type = apiSchema().getType(typeName);
  if (!type) throw new Error(`No type ${typeName}`);
  return selectionFor(type, depth);
}

function selectionFor(type: GraphQLNamedType, depth: number): string {
  if (isScalarType(type) || isEnumType(type)) return '';
  if (isAbstractType(type)) {
    const members = apiSchema().getPossibleTypes(type);
    return `{ __typename ${members.map((m) => `... on ${m.name} ${selectionFor(m, depth)}`).join(' ')} }`;
  }
  if (!isObjectType(type)) return '';
  const fields = Object.values(type.getFields()).filter(
    (field: GraphQLField<unknown, unknown>) =>
      !field.args.some((arg) => arg.type.toString().endsWith('!')),
  );
  const parts = fields.flatMap((field) => {
    const named = getNamedType(field.type);
    if (isScalarType(named) || isEnumType(named)) return [field.name];
    if (depth <= 1) return [];
    const nested = selectionFor(named, depth - 1);
    return nested && nested !== '{  }' ? [`${field.name} ${nested}`] : [];
  });
  return `{ __typename ${parts.join(' ')} }`;
}

/** The row under test: its id, plus related ids (e.g. the contact of an identity). */
export type TenancyRow = { id: string } & Record<string, string>;

/** One attempt by another workspace to change a row, and the typed refusal it must get. */
export interface TenancyAttempt {
  query: string;
  variables(row: TenancyRow): Record<string, unknown>;
  /** The root field's expected result: NotFoundError, or a ValidationError with this code. */
  refusal?: 'NotFoundError' | { issue: string };
}

/**
 * How to prove one type is confined to its workspace: make a row as the owner, then check that
 * an intruder's `read` (by id) returns null, `lists` never mention it, and every `attempts`
 * mutation is refused; finally the owner's `read` must be exactly as before.
 */
export interface TenancyCase {
  /** Creates the row as `owner`; returns its id and any related ids the queries need. */
  create(api: TestApi, owner: TestWorkspace): Promise<TenancyRow>;
  /** A query (given the row as variables) whose root field is null when the row is not visible. */
  read: string;
  /** Queries (no variables) that list rows of this type. */
  lists: string[];
  attempts: TenancyAttempt[];
}

/** Runs a TenancyCase between two fresh workspaces (see TenancyCase). */
export async function expectConfinedToWorkspace(api: TestApi, spec: TenancyCase): Promise<void> {
  const owner = await api.createWorkspace('Owner');
  const intruder = await api.createWorkspace('Intruder');
  const row = await spec.create(api, owner);
  const before = await api.gql(owner.apiKey, spec.read, row);
  expect(before.errors).toBeUndefined();
  expect(Object.values(before.data)[0], 'the owner can read the row').not.toBeNull();

  // UUIDs are case-insensitive: the owner's upper-case ids name the same row, and the
  // intruder's are refused the same way in either case.
  const upperRow = Object.fromEntries(
    Object.entries(row).map(([key, id]) => [key, id.toUpperCase()]),
  ) as TenancyRow;
  const ownerUpper = await api.gql(owner.apiKey, spec.read, upperRow);
  expect(ownerUpper, 'the owner reads the row by upper-case ids').toEqual(before);

  for (const ids of [row, upperRow]) {
    const read = await api.gql(intruder.apiKey, spec.read, ids);
    expect(read.errors).toBeUndefined();
    expect(Object.values(read.data)[0], 'read by id from another workspace').toBeNull();
  }

  for (const list of spec.lists) {
    const result = await api.gql(intruder.apiKey, list);
    expect(result.errors, list).toBeUndefined();
    expect(JSON.stringify(result.data), list).not.toContain(row.id);
  }

  for (const [attempt, ids] of spec.attempts.flatMap((a) => [
    [a, row] as const,
    [a, upperRow] as const,
  ])) {
    const result = await api.gql(intruder.apiKey, attempt.query, attempt.variables(ids));
    expect(result.errors, attempt.query).toBeUndefined();
    const outcome = Object.values(result.data)[0] as Json;
    const refusal = attempt.refusal ?? 'NotFoundError';
    if (refusal === 'NotFoundError') {
      expect(outcome?.__typename, attempt.query).toBe('NotFoundError');
    } else {
      expect(outcome?.__typename, attempt.query).toBe('ValidationError');
      expect(
        outcome.issues?.map((issue: Json) => issue.code),
        attempt.query,
      ).toContain(refusal.issue);
    }
  }

  const after = await api.gql(owner.apiKey, spec.read, row);
  expect(after, 'the owner sees the row unchanged').toEqual(before);
}

/** A provider stand-in's requests passed through, some held until the test lets them go. */
export interface GatedProvider {
  url: string;
  /** How many held requests have arrived. */
  holding(): number;
  /** Lets the held requests (and any later ones) through. */
  open(): void;
  close(): Promise<void>;
}

/**
 * A pass-through to the stand-in at `target` that holds the requests `held` selects (by path)
 * until `open()`: a race test decides when a provider answers a check.
 */
export async function gatedProvider(
  target: string,
  held: (path: string) => boolean,
): Promise<GatedProvider> {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let holding = 0;
  const server = await startJsonServer({
    async answer(request) {
      if (held(request.path)) {
        holding += 1;
        await opened;
      }
      const query = request.query.size > 0 ? `?${request.query}` : '';
      const response = await fetch(`${target}${request.path}${query}`, {
        method: request.method,
        headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
        ...(request.raw ? { body: request.raw } : {}),
      });
      return { status: response.status, body: await response.json() };
    },
  });
  return { url: server.url, holding: () => holding, open, close: () => server.close() };
}

/**
 * Whether a connection waits for one of a provider account's advisory locks
 * (db/account-locks.ts): a check or release of the account is held behind another.
 */
export async function accountLockAwaited(
  db: Database,
  provider: string,
  credentials: Record<string, string>,
): Promise<boolean> {
  const keys = await accountLockKeys(provider, credentials);
  // An advisory lock on one bigint shows its high and low halves as classid and objid.
  const waiting = await queryRows(
    db,
    sql`select 1 from pg_locks l,
          (select hashtextextended(k, 0) as key from unnest(${sql.param(keys)}::text[]) as k) h
        where l.locktype = 'advisory' and not l.granted and l.objsubid = 1
          and l.classid::bigint = (h.key >> 32) & 4294967295
          and l.objid::bigint = h.key & 4294967295`,
  );
  return waiting.length > 0;
}
