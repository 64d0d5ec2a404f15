import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { PoolClient } from '@neondatabase/serverless';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { createNeonDatabase } from './drivers/neon';
import { startWsProxy, type WsProxy } from './ws-proxy';

/** A TCP echo server standing in for Postgres: what the proxy relays comes straight back. */
let echo: Server;
let target: string;
const upstream = new Set<Socket>();

beforeAll(async () => {
  echo = createServer((socket) => {
    upstream.add(socket);
    socket.on('close', () => upstream.delete(socket));
    socket.on('data', (data) => socket.write(data));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  target = `127.0.0.1:${(echo.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

function open(proxy: WsProxy): Promise<WebSocket> {
  const socket = new WebSocket(`ws://${proxy.address}/v1?address=${target}`);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe('the WebSocket-to-TCP proxy', () => {
  it('refuses targets it was not given', async () => {
    const proxy = await startWsProxy({ allowedTargets: ['127.0.0.1:1'] });
    const socket = new WebSocket(`ws://${proxy.address}/v1?address=${target}`);
    expect(await closed(socket)).toBe(1008);
    await proxy.close();
  });

  it('holds connections beyond its limit, bytes included, until one is free', async () => {
    const proxy = await startWsProxy({ allowedTargets: [target], maxConnections: 2 });
    const [first, second] = await Promise.all([open(proxy), open(proxy)]);
    await until(() => upstream.size === 2);
    const third = await open(proxy);
    third.send('startup');
    await until(() => proxy.stats().waiting === 1);
    expect(upstream.size).toBe(2);

    const reply = nextMessage(third);
    first.close();
    expect(await reply).toBe('startup');
    expect(proxy.stats()).toEqual({ open: 2, idle: 0, waiting: 0 });
    second.close();
    third.close();
    await until(() => proxy.stats().open === 0);
    await proxy.close();
  });

  it('closes a waiting connection with 1013 (try again later) when its wait runs out', async () => {
    const proxy = await startWsProxy({
      allowedTargets: [target],
      maxConnections: 1,
      maxWaitMs: 100,
    });
    const holder = await open(proxy);
    const waiter = await open(proxy);
    expect(await closed(waiter)).toBe(1013);
    expect(proxy.stats()).toEqual({ open: 1, idle: 0, waiting: 0 });
    holder.close();
    await until(() => proxy.stats().open === 0);
    await proxy.close();
  });

  it('gives the slot of a waiter that left to the next one in line', async () => {
    const proxy = await startWsProxy({ allowedTargets: [target], maxConnections: 1 });
    const holder = await open(proxy);
    const leaver = await open(proxy);
    const stayer = await open(proxy);
    await until(() => proxy.stats().waiting === 2);
    leaver.close();
    await until(() => proxy.stats().waiting === 1);
    stayer.send('hello');
    const reply = nextMessage(stayer);
    holder.close();
    expect(await reply).toBe('hello');
    stayer.close();
    await until(() => proxy.stats().open === 0);
    await proxy.close();
  });
});

describe('keeping server sessions (reuseSessions), against the real Postgres', () => {
  const databaseUrl = inject('databaseUrl');
  const { hostname, port } = new URL(databaseUrl);
  const postgres = `${hostname}:${port || '5432'}`;

  /** One client through the proxy, as the Worker's driver connects: used once, then ended. */
  async function withClient<T>(
    proxy: WsProxy,
    use: (client: PoolClient) => Promise<T>,
    url = databaseUrl,
  ) {
    const { pool } = createNeonDatabase({
      url,
      wsProxy: proxy.address,
      webSocketConstructor: WebSocket,
      max: 1,
    });
    const client = await pool.connect();
    try {
      return await use(client);
    } finally {
      client.release();
      await pool.end();
    }
  }

  const pid = (client: PoolClient) =>
    client.query<{ pid: number }>('select pg_backend_pid() as pid').then((r) => r.rows[0]!.pid);

  it('hands the next client the same backend, with nothing of the last session left', async () => {
    const proxy = await startWsProxy({ allowedTargets: [postgres], reuseSessions: true });
    const first = await withClient(proxy, async (client) => {
      await client.query("set application_name = 'first client'");
      await client.query('create temp table scratch (n int)');
      await client.query({ name: 'kept_plan', text: 'select 1 as one' });
      await client.query('select pg_advisory_lock(4242)');
      return pid(client);
    });
    await until(() => proxy.stats().idle === 1);
    const second = await withClient(proxy, async (client) => {
      const state = await client.query<{
        app: string;
        scratch: string | null;
        plans: string;
        locks: string;
      }>(`select current_setting('application_name') as app,
                 to_regclass('pg_temp.scratch')::text as scratch,
                 (select count(*) from pg_prepared_statements) as plans,
                 (select count(*) from pg_locks where locktype = 'advisory'
                    and pid = pg_backend_pid()) as locks`);
      return { pid: await pid(client), ...state.rows[0]! };
    });
    // application_name is back to what the driver's startup packet set.
    expect(second).toEqual({
      pid: first,
      app: expect.stringContaining('neondatabase/serverless'),
      scratch: null,
      plans: '0',
      locks: '0',
    });
    await until(() => proxy.stats().idle === 1);
    expect(proxy.stats().open).toBe(1);
    await proxy.close();
  });

  it('closes a session its client left inside a transaction: nothing it wrote is committed', async () => {
    const proxy = await startWsProxy({ allowedTargets: [postgres], reuseSessions: true });
    const table = `proxy_left_${process.pid}`;
    await withClient(proxy, (client) => client.query(`create table ${table} (n int)`));
    await until(() => proxy.stats().idle === 1);
    const abandoned = await withClient(proxy, async (client) => {
      await client.query('begin');
      await client.query(`insert into ${table} values (1)`);
      return pid(client);
    });
    await until(() => proxy.stats().open === 0);
    const [next, rows] = await withClient(proxy, async (client) =>
      Promise.all([pid(client), client.query(`select count(*)::int as n from ${table}`)]),
    );
    expect(next).not.toBe(abandoned);
    expect(rows.rows[0]).toEqual({ n: 0 });
    await withClient(proxy, (client) => client.query(`drop table ${table}`));
    await proxy.close();
  });

  it('closes a session whose client left while a statement ran, and the next client is served', async () => {
    const proxy = await startWsProxy({ allowedTargets: [postgres], reuseSessions: true });
    const { pool } = createNeonDatabase({
      url: databaseUrl,
      wsProxy: proxy.address,
      webSocketConstructor: WebSocket,
      max: 1,
    });
    const client = await pool.connect();
    const busy = await pid(client);
    const running = client.query('select pg_sleep(5)').catch(() => 'interrupted');
    // The client goes away mid-statement (a Worker invocation killed, say).
    client.release(true);
    await pool.end().catch(() => undefined);
    await running;
    await until(() => proxy.stats().idle === 0);
    expect(await withClient(proxy, pid)).not.toBe(busy);
    await proxy.close();
  });

  it('counts idle sessions in the connection limit: a client with other startup parameters gets a new one in place of the idle', async () => {
    const proxy = await startWsProxy({
      allowedTargets: [postgres],
      reuseSessions: true,
      maxConnections: 1,
    });
    const first = await withClient(proxy, pid);
    await until(() => proxy.stats().idle === 1);
    const other = await withClient(proxy, pid, `${databaseUrl}?application_name=other`);
    expect(other).not.toBe(first);
    await until(() => proxy.stats().idle === 1);
    expect(proxy.stats()).toEqual({ open: 1, idle: 1, waiting: 0 });
    // The same parameters again: the session just kept.
    expect(await withClient(proxy, pid, `${databaseUrl}?application_name=other`)).toBe(other);
    await proxy.close();
    expect(proxy.stats().open).toBe(0);
  });
});
