import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
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
    expect(proxy.stats()).toEqual({ open: 2, waiting: 0 });
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
    expect(proxy.stats()).toEqual({ open: 1, waiting: 0 });
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
