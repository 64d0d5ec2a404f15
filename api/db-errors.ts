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
