/**
 * Maps `items` through `task` with at most `concurrency` tasks in flight, keeping results in
 * input order. Workers allow six simultaneous outgoing connections per invocation; more would
 * queue inside the runtime anyway and make timeouts fire on calls that never started.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  }
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, worker);
  await Promise.all(workers);
  return results;
}
