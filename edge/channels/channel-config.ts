import type { ValidationIssue } from '../../workflow/validation-issue';
import type { ChannelDefinition, Fields, IssueSink, Parsed, ParseOptions } from './definition';
import { parseFields } from './fields';
import type { ChannelRecord } from './types';

/**
 * The one parser of a channel's settings and credentials, run by the API when a channel is
 * saved (issues go back to the client) and by the adapter before every send (the first issue
 * becomes the failure detail). What the API stores is exactly what the adapter reads back.
 */

/** Parses settings for `definition`: the normalised object that `channels.settings` stores. */
export function parseChannelSettings<S extends Fields>(
  definition: ChannelDefinition<S, Fields>,
  input: Record<string, unknown> | null | undefined,
  issues: IssueSink,
  path: string,
  options: ParseOptions,
): Parsed<S> {
  const settings = parseFields(definition.settings, input, issues, path, options);
  definition.checkSettings?.(settings, issues, path);
  return settings;
}

function isEmpty(input: Record<string, unknown>): boolean {
  return Object.values(input).every(
    (value) => value === undefined || value === null || value === '',
  );
}

/**
 * Parses credentials for `definition`. Null when none were given and the integration may go
 * without them (an SMTP relay without AUTH); a missing set that is required is an issue at
 * `path`. Secrets are kept byte for byte.
 */
export function parseChannelCredentials<C extends Fields>(
  definition: ChannelDefinition<Fields, C>,
  input: Record<string, unknown> | null | undefined,
  issues: IssueSink,
  path: string,
): Parsed<C> | null {
  if (!input || isEmpty(input)) {
    if (definition.credentialsRequired) {
      issues.add('INVALID_VALUE', path, `A ${definition.label} channel needs credentials`);
    }
    return null;
  }
  return parseFields(definition.credentials, input, issues, path, { allowPrivateUrls: false });
}

/** Collects issues instead of throwing, for callers that only want the first one. */
export function issueCollector(): IssueSink & { issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  return {
    issues,
    add(code, path, message) {
      issues.push({ code, path, message });
    },
  };
}

/** A channel's settings and credentials as its adapter uses them, or why it cannot send. */
export type ReadChannel<S extends Fields, C extends Fields> =
  | { ok: true; settings: Parsed<S>; credentials: Parsed<C> | null }
  | { ok: false; detail: string };

/** Reads of one channel record, per definition (an integration reads its own), and options. */
type Reads = Map<
  ChannelDefinition<Fields, Fields>,
  { allowPrivateUrls: boolean; read: ReadChannel<Fields, Fields> }
>;

/**
 * What `readChannel` found for a ChannelRecord object, for as long as that object lives: the
 * dispatch consumer builds one record per channel per batch (edge/dispatch/send.ts), so a batch
 * of 100 sends on one channel parses its fields and checks its URLs once, not 100 times, and
 * the next batch, which loads the channel again, reads what it is then. Records are not changed
 * after they are built, and adapters do not change what they read.
 */
const readsOf = new WeakMap<ChannelRecord, Reads>();

/**
 * Reads a stored channel back through its definition's parser before a send: a channel whose
 * settings or credentials no longer pass (edited by hand, saved by an older version, a host
 * the deployment now refuses) cannot send, and the first problem says why.
 */
export function readChannel<S extends Fields, C extends Fields>(
  definition: ChannelDefinition<S, C>,
  channel: ChannelRecord,
  options: ParseOptions,
): ReadChannel<S, C> {
  const key = definition as unknown as ChannelDefinition<Fields, Fields>;
  let reads = readsOf.get(channel);
  const known = reads?.get(key);
  if (known && known.allowPrivateUrls === options.allowPrivateUrls) {
    return known.read as ReadChannel<S, C>;
  }
  const read = parseChannel(definition, channel, options);
  if (!reads) {
    reads = new Map();
    readsOf.set(channel, reads);
  }
  reads.set(key, {
    allowPrivateUrls: options.allowPrivateUrls,
    read: read as ReadChannel<Fields, Fields>,
  });
  return read;
}

function parseChannel<S extends Fields, C extends Fields>(
  definition: ChannelDefinition<S, C>,
  channel: ChannelRecord,
  options: ParseOptions,
): ReadChannel<S, C> {
  const collected = issueCollector();
  const settings = parseChannelSettings(
    definition,
    channel.settings,
    collected,
    'settings',
    options,
  );
  const credentials = parseChannelCredentials(
    definition,
    channel.credentials,
    collected,
    'credentials',
  );
  const [first] = collected.issues;
  if (first) return { ok: false, detail: `${first.path}: ${first.message}` };
  return { ok: true, settings, credentials };
}
