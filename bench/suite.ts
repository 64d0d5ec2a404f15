/** What a suite reports back to the runner for the closing summary. */
export interface SuiteOutcome {
  /** One line per headline figure, e.g. `api: 1,234 req/s, p99 25 ms`. */
  headlines: string[];
  /** False when a check inside the suite failed (wrong responses, missed receipts, …). */
  ok: boolean;
}

/**
 * One independent benchmark: it creates whatever it needs (its own database, servers, Worker),
 * prints its tables as it goes, and removes everything before it returns.
 */
export interface Suite {
  /** The name `npm run bench -- <name>` selects it by. */
  name: string;
  /** One line saying what is measured and which issue asks for it. */
  title: string;
  run(): Promise<SuiteOutcome>;
}
