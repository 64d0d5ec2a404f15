/**
 * Whether `error` is Postgres's unique_violation (SQLSTATE 23505) on `constraint`. Drizzle wraps
 * driver errors (DrizzleQueryError.cause), and drivers differ in shape, so walk the cause chain.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (let current = error; current && typeof current === 'object'; ) {
    const {
      code,
      constraint: name,
      cause,
    } = current as {
      code?: unknown;
      constraint?: unknown;
      cause?: unknown;
    };
    if (code === '23505' && name === constraint) return true;
    current = cause;
  }
  return false;
}

/** The first SQLSTATE code on `error`'s cause chain (Drizzle wraps the driver's error). */
export function sqlState(error: unknown): string | undefined {
  for (let current = error; current && typeof current === 'object'; ) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = cause;
  }
  return undefined;
}

/**
 * Whether Postgres refused a value the client sent as malformed for its type (SQLSTATE class
 * 22, "data exception": an id that is not a UUID inside an edited page cursor, a timestamp
 * out of range). That is bad input, not a server fault.
 */
export function isMalformedValue(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false;
}
