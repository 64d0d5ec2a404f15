import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createNodePostgres } from './drivers/node-postgres';
import { MIGRATIONS_FOLDER } from './migrate';

/**
 * Migration `…_registered_audio_types`: uploads stored before it under file-type's names
 * (`audio/x-m4a`, `audio/opus`) get the types channels list, so steps can send them; files
 * registered by URL keep the type they were given.
 */

const MIGRATION = 'registered_audio_types';
const SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `sendflow_test_audio_${Date.now()}_${process.pid}`;
let url: string;
let before: string;

async function migrateFrom(folder: string): Promise<void> {
  const { db, close } = createNodePostgres(url, { max: 1 });
  try {
    await migrate(db as never, { migrationsFolder: folder });
  } finally {
    await close();
  }
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`create database ${name}`);
  const target = new URL(SERVER_URL);
  target.pathname = `/${name}`;
  url = target.toString();
  // The migrations up to the one under test.
  before = await mkdtemp(join(tmpdir(), 'sendflow-migrations-'));
  for (const entry of await readdir(MIGRATIONS_FOLDER)) {
    if (!entry.endsWith(MIGRATION)) {
      await cp(join(MIGRATIONS_FOLDER, entry), join(before, entry), { recursive: true });
    }
  }
});

afterAll(async () => {
  await admin(`drop database if exists ${name} with (force)`);
  await rm(before, { recursive: true, force: true });
});

test('uploads stored as audio/x-m4a or audio/opus become audio/mp4 and audio/ogg; registered files keep theirs', async () => {
  await migrateFrom(before);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `insert into workspaces (name) values ('w') returning id`,
    );
    const workspaceId = rows[0]!.id;
    await client.query(
      `insert into files (workspace_id, name, content_type, size_bytes, url, storage_key) values
         ($1, 'memo.m4a', 'audio/x-m4a', 10, null, 'k1'),
         ($1, 'note.opus', 'audio/opus', 10, null, 'k2'),
         ($1, 'linked.m4a', 'audio/x-m4a', 10, 'https://cdn.example.com/linked.m4a', null),
         ($1, 'song.mp3', 'audio/mpeg', 10, null, 'k3')`,
      [workspaceId],
    );
    await migrateFrom(MIGRATIONS_FOLDER);
    const types = await client.query<{ name: string; content_type: string }>(
      'select name, content_type from files order by name',
    );
    expect(types.rows).toEqual([
      { name: 'linked.m4a', content_type: 'audio/x-m4a' },
      { name: 'memo.m4a', content_type: 'audio/mp4' },
      { name: 'note.opus', content_type: 'audio/ogg' },
      { name: 'song.mp3', content_type: 'audio/mpeg' },
    ]);
  } finally {
    await client.end();
  }
});
