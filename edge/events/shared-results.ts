import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { PartnerEvent } from './types';

/** Results kept per document: enough for a burst in flight across every subscriber. */
const RESULTS_PER_DOCUMENT = 2_000;

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Executes each event once per subscription document and shares the result among every
 * subscriber that sent the same document (and operation name), instead of one execution per
 * subscriber per event, which graphql-js's `subscribe` does. Sound because `DeliveryEvent`'s
 * fields read only the event: no context, no arguments. Documents are keyed by identity: Yoga's
 * parse cache hands one DocumentNode to every request with the same query text.
 */
export function useSharedEventResults(): Plugin {
  const cache = new WeakMap<DocumentNode, Map<string, Result>>();
  function resultFor(args: ExecutionArgs, event: PartnerEvent): Result {
    let results = cache.get(args.document);
    if (!results) {
      results = new Map();
      cache.set(args.document, results);
    }
    const key = `${args.operationName ?? ''}\u0000${event.cursor}`;
    let result = results.get(key);
    if (!result) {
      result = execute({ ...args, rootValue: event });
      results.set(key, result);
      if (results.size > RESULTS_PER_DOCUMENT) {
        results.delete(results.keys().next().value as string);
      }
    }
    return result;
  }
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async function sharedSubscribe(args) {
        const source = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
        const events = source as AsyncGenerator<PartnerEvent>;
        // Forwards return() at once, so that unsubscribing never waits for the next event.
        return {
          async next() {
            const step = await events.next();
            return step.done ? step : { done: false, value: await resultFor(args, step.value) };
          },
          return: (value?: unknown) =>
            events.return?.(value as undefined) ?? Promise.resolve({ done: true, value }),
          throw: (error?: unknown) => events.throw?.(error) ?? Promise.reject(error),
          [Symbol.asyncIterator]() {
            return this;
          },
        } as AsyncGenerator<ExecutionResult>;
      });
    },
  };
}
