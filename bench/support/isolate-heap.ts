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

/** A DevTools-protocol connection: commands answered in order, each with a deadline. */
export interface Inspector {
  /** Sends a command without waiting for its answer. */
  send(method: string, params?: object): number;
  command<T>(method: string, params?: object): Promise<T>;
  close(): void;
}

export async function connectInspector(inspectorUrl: string): Promise<Inspector> {
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
  function send(method: string, params?: object): number {
    const id = nextId++;
    socket.send(JSON.stringify({ id, method, ...(params ? { params } : {}) }));
    return id;
  }
  function command<T>(method: string, params?: object): Promise<T> {
    // The answer arrives in a later event, after the waiter below is registered.
    const id = send(method, params);
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
  return { send, command, close: () => socket.close() };
}

type HeapUsageAnswer = { usedSize: number; totalSize: number };

export async function connectIsolateHeap(inspectorUrl: string): Promise<IsolateHeap> {
  const inspector = await connectInspector(inspectorUrl);
  return {
    async sample() {
      inspector.send('HeapProfiler.takeHeapSnapshot');
      const usage = await inspector.command<HeapUsageAnswer>('Runtime.getHeapUsage');
      return { usedBytes: usage.usedSize, totalBytes: usage.totalSize };
    },
    close: () => inspector.close(),
  };
}

/** The Worker isolate's V8 heap, sampled without collecting garbage while a run goes on. */
export interface HeapSampler {
  /** Largest `usedSize` seen so far, in bytes (garbage not yet collected included). */
  peak(): number;
  /** Samples taken so far. */
  samples(): number;
  /** The heap in use now, in bytes. */
  used(): Promise<number>;
  close(): void;
}

/**
 * Asks `Runtime.getHeapUsage` every `intervalMs`. The isolate runs every invocation of the
 * Worker, so its peak bounds the memory of any one invocation.
 */
export async function sampleIsolateHeap(
  inspectorUrl: string,
  intervalMs = 10,
): Promise<HeapSampler> {
  const inspector = await connectInspector(inspectorUrl);
  const used = async () =>
    (await inspector.command<HeapUsageAnswer>('Runtime.getHeapUsage')).usedSize;
  let peak = 0;
  let samples = 0;
  let closed = false;
  const loop = async () => {
    while (!closed) {
      const size = await used().catch(() => undefined);
      if (size !== undefined) {
        peak = Math.max(peak, size);
        samples++;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  void loop();
  return {
    peak: () => peak,
    samples: () => samples,
    used,
    close() {
      closed = true;
      inspector.close();
    },
  };
}
