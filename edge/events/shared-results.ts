import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import { maskError, type Plugin } from 'graphql-yoga';
import { type FrameRenderer, isFrameWritable, nextFrame } from './live-frames';
import { mapEvents } from './map-events';
import type { LoggedEvent, PartnerEvent } from './types';

/** Results kept per document: enough for a burst in flight across every subscriber. */
const RESULTS_PER_DOCUMENT = 2_000;
/** What Yoga's masking (`maskedErrors`, not in dev) says instead of an unexpected error. */
const MASKED_MESSAGE = 'Unexpected error.';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * Executes each event once per subscription operation (document, operation name and
 * variables) and shares the result among every subscriber that sent the same operation,
 * instead of one execution per subscriber per event, which graphql-js's `subscribe` does. Sound
 * because `DeliveryEvent`'s fields read only the event and the operation (no context):
 * variables count because a directive (`@include(if: $x)`) may change the result. Documents
 * are told apart by identity: Yoga's parse cache hands one DocumentNode to every request with
 * the same query text.
 *
 * A source that takes written frames (edge/events/live-frames.ts, distinct-connections
 * streams) gets a renderer instead: one execution and one serialised message per event for
 * every subscriber of the same operation, written by the fan-out.
 */
export function useSharedEventResults(): Plugin {
  const keys = operationKeys();
  const cache = new WeakMap<DocumentNode, Map<string, Result>>();
  function resultFor(key: string, args: ExecutionArgs, event: PartnerEvent): Result {
    let results = cache.get(args.document);
    if (!results) {
      results = new Map();
      cache.set(args.document, results);
    }
    const eventKey = `${key}\u0000${event.cursor}`;
    let result = results.get(eventKey);
    if (!result) {
      result = execute({ ...args, rootValue: event });
      results.set(eventKey, result);
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
        const key = keys(args);
        if (isFrameWritable(source)) return source.writeFrames(frameRenderer(key, args));
        // `subscribe` threw (a bad `after`, a filter id that is not one): graphql-sse takes a
        // result for one only when it has `data` (its isExecutionResult), and answered the bare
        // `{ errors }` graphql-js gives with a 400 "Unable to detect operation AST", hiding the
        // error. With `data: null` it reaches the client as a `next` message, then `complete`.
        if (!(Symbol.asyncIterator in source))
          return { data: null, ...(source as ExecutionResult) };
        return mapEvents(source as AsyncGenerator<PartnerEvent>, (event) =>
          resultFor(key, args, event),
        );
      });
    },
  };
}

/** A key per distinct operation: the document's identity, operation name and variables. */
function operationKeys(): (args: ExecutionArgs) => string {
  const documents = new WeakMap<DocumentNode, number>();
  let nextDocument = 0;
  return function operationKey(args) {
    let document = documents.get(args.document);
    if (document === undefined) {
      document = nextDocument++;
      documents.set(args.document, document);
    }
    return `${document}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
  };
}

/**
 * Renders an event as the `next` message the subscriber would have got through graphql-sse:
 * the operation executed with the event as root value, errors masked as Yoga masks them.
 */
function frameRenderer(key: string, args: ExecutionArgs): FrameRenderer {
  return {
    key,
    render(event: LoggedEvent) {
      const result = execute({ ...args, rootValue: event.event });
      // DeliveryEvent's resolvers are synchronous; a promise here is a schema change to handle.
      if (result instanceof Promise) throw new Error('deliveryEvents must execute synchronously');
      const masked = result.errors
        ? { ...result, errors: result.errors.map((error) => maskError(error, MASKED_MESSAGE)) }
        : result;
      return nextFrame(event.cursor, JSON.stringify(masked));
    },
  };
}
