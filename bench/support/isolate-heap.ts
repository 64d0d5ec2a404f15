import WebSocket from 'ws';

/** The Worker isolate's V8 heap, sampled through the DevTools protocol while a run goes on. */
export interface HeapSampler {
  /** Largest `usedSize` seen so far, in bytes. */
  peak(): number;
  /** Samples taken so far. */
  samples(): number;
  /** The heap in use now, in bytes (workerd's inspector does not answer a forced GC). */
  used(): Promise<number>;
  close(): void;
}

const CALL_TIMEOUT_MS = 2_000;

interface Target {
  webSocketDebuggerUrl?: string;
}

/**
 * Connects to the first target Miniflare's inspector proxy lists on `port` (startWorker's
 * `inspectorPort`) and asks `Runtime.getHeapUsage` every `intervalMs`. The isolate runs every
 * invocation of the Worker, so its peak bounds the memory of any one invocation.
 */
export async function sampleIsolateHeap(port: number, intervalMs = 10): Promise<HeapSampler> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as Target[];
  const url = targets.find((target) => target.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) throw new Error('the inspector lists no Worker target');
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> };
    if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
    if (message.id !== undefined) pending.delete(message.id);
  });
  // A call the inspector never answers resolves empty after CALL_TIMEOUT_MS: no run hangs on it.
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method }));
      setTimeout(() => {
        pending.delete(id);
        resolve({});
      }, CALL_TIMEOUT_MS);
    });
  let peak = 0;
  let samples = 0;
  let closed = false;
  const loop = async () => {
    while (!closed) {
      const { usedSize } = (await call('Runtime.getHeapUsage')) as { usedSize?: number };
      if (typeof usedSize === 'number') {
        peak = Math.max(peak, usedSize);
        samples++;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  void loop();
  return {
    peak: () => peak,
    samples: () => samples,
    async used() {
      const { usedSize } = (await call('Runtime.getHeapUsage')) as { usedSize?: number };
      return usedSize ?? 0;
    },
    close() {
      closed = true;
      for (const resolve of pending.values()) resolve({});
      socket.close();
    },
  };
}
