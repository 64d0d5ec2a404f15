/**
 * `source` with each value mapped, passing return() and throw() through at once. An async
 * generator (`for await … yield`) would queue a return() behind its pending next(), i.e. until
 * the next event arrives: an unsubscribed operation would keep its fan-out subscriber until then.
 */
export function mapEvents<T, U>(
  source: AsyncIterator<T>,
  map: (value: T) => U | Promise<U>,
): AsyncGenerator<U> {
  return {
    async next() {
      const step = await source.next();
      return step.done ? step : { done: false, value: await map(step.value) };
    },
    return: (value?: unknown) =>
      source.return?.(value) ?? Promise.resolve({ done: true, value: value as undefined }),
    throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  } as AsyncGenerator<U>;
}
