import WebSocket from 'ws';

/**
 * Reads a workerd isolate's V8 heap through its inspector (the DevTools protocol that
 * Miniflare's inspector proxy serves, `startWorker({ inspector: true })`): a full garbage
 * collection, then `Runtime.getHeapUsage`. Measured after a collection, the figure is what the
 * isolate retains, not the garbage a batch left behind.
 *
 * workerd's inspector does not answer `HeapProfiler.collectGarbage`; a heap snapshot
 * (`HeapProfiler.takeHeapSnapshot`) is always preceded by a full collection in V8, so a
 * snapshot is taken (its chunks are discarded) and the usage read after it: the inspector
 * handles commands in order. A snapshot of the API Worker's ~20 MB heap takes a few seconds.
 */

export interface HeapUsage {
  /** Bytes of live objects after a full collection. */
  usedBytes: number;
  /** Bytes V8 has reserved for the heap. */
  totalBytes: number;
}

export interface IsolateHeap {
  /** Collects garbage, then reads the heap. */
  sample(): Promise<HeapUsage>;
  close(): void;
}

const COMMAND_TIMEOUT_MS = 60_000;

export async function connectIsolateHeap(inspectorUrl: string): Promise<IsolateHeap> {
  const socket = new WebSocket(inspectorUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve(result: unknown): void; reject(e: Error): void }>();
  socket.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    // Snapshot chunks (`HeapProfiler.addHeapSnapshotChunk`) are notifications: no id.
    if (message.id === undefined) return;
    const waiter = waiting.get(message.id);
    if (!waiter) return;
    waiting.delete(message.id);
    if (message.error) waiter.reject(new Error(`inspector: ${message.error.message}`));
    else waiter.resolve(message.result);
  });
  socket.on('close', () => {
    for (const waiter of waiting.values()) waiter.reject(new Error('inspector: connection closed'));
    waiting.clear();
  });
  function send(method: string): number {
    const id = nextId++;
    socket.send(JSON.stringify({ id, method }));
    return id;
  }
  function command<T>(method: string): Promise<T> {
    // The answer arrives in a later event, after the waiter below is registered.
    const id = send(method);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`inspector: ${method} did not answer`));
      }, COMMAND_TIMEOUT_MS);
      waiting.set(id, {
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }
  return {
    async sample() {
      send('HeapProfiler.takeHeapSnapshot');
      const usage = await command<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
      return { usedBytes: usage.usedSize, totalBytes: usage.totalSize };
    },
    close: () => socket.close(),
  };
}
