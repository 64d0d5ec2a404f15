/** Severity of a log line; Workers Logs files `console.error` output as errors and so on. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Fields a line may carry. The ids tie lines to the rows they concern, so that ops can follow
 * one delivery from the GraphQL request to the provider's answer.
 */
export interface LogFields {
  workspaceId?: string | undefined;
  runId?: string | undefined;
  deliveryId?: string | undefined;
  requestId?: string | undefined;
  error?: unknown;
  [field: string]: unknown;
}

const WRITERS: Record<LogLevel, (line: string) => void> = {
  debug: (line) => console.debug(line),
  info: (line) => console.log(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

/** Errors do not survive JSON.stringify (their fields are not enumerable): spell them out. */
function serializable(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  return value;
}

/**
 * Writes one structured JSON line: `{"time","level","msg",...fields}`. Workers Logs and
 * `wrangler tail` index JSON lines by field, so every line is one object, never free text.
 * Fields that are `undefined` are left out.
 */
export function log(level: LogLevel, msg: string, fields: LogFields = {}): void {
  const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) entry[key] = serializable(value);
  }
  let line: string;
  try {
    line = JSON.stringify(entry);
  } catch {
    // A circular or BigInt field must not turn a log call into a crash.
    line = JSON.stringify({ time: entry.time, level, msg, unserializableFields: true });
  }
  WRITERS[level](line);
}
