import { expect, test } from 'vitest';
import { graphError, type MetaGraph } from '../../../test/fakes/meta-graph';
import type { FailureReason } from '../../../workflow/types';
import type { SendOutcome } from '../types';
import type { GraphFailureTable } from './graph-errors';

/**
 * Test support for the Graph failure tables (WhatsApp's, the Send API's): each integration's
 * failures.test.ts writes out what every documented error must become, independently of its
 * table, and these run the cases and check the table against them.
 */

/** A documented Graph error, the HTTP status it comes with, and what it must become. */
export type GraphFailureCase = [
  code: number,
  subcode: number | null,
  status: number,
  reason: FailureReason,
  retried: boolean,
];

/**
 * The Graph-wide codes every Graph table ends with (`GRAPH_FAILURES`; Graph API, "Handling
 * Errors"), as they must come out of WhatsApp's and the Send API's table alike: each
 * integration's cases end with these.
 */
export const GRAPH_WIDE_CASES: readonly GraphFailureCase[] = [
  [1, null, 500, 'network', true],
  [2, null, 503, 'network', true],
  [4, null, 400, 'rate_limited', true],
  [17, null, 400, 'rate_limited', true],
  [341, null, 400, 'rate_limited', true],
  [613, null, 400, 'rate_limited', true],
  [10, null, 403, 'credentials_rejected', false],
  [102, null, 401, 'credentials_rejected', false],
  [190, null, 401, 'credentials_rejected', false],
  [200, null, 403, 'credentials_rejected', false],
  [299, null, 403, 'credentials_rejected', false],
  [368, null, 400, 'rejected_by_provider', false],
];

/**
 * One test per case: the Graph stand-in (`graph()`, started by then) answers the case's error to
 * the next send (`send`), whose outcome must be the case's reason, retried or not, with the
 * code in its detail.
 */
export function testGraphFailureCases(
  cases: readonly GraphFailureCase[],
  graph: () => MetaGraph,
  send: () => Promise<SendOutcome>,
): void {
  for (const [code, subcode, status, reason, retried] of cases) {
    const name = subcode === null ? `${code}` : `${code}/${subcode}`;
    test(`${name} → ${reason}${retried ? ', retried' : ''}`, async () => {
      graph().replyNext(
        graphError(
          status,
          code,
          `(#${code}) documented error`,
          subcode === null ? {} : { subcode },
        ),
      );
      const outcome = await send();
      expect(outcome).toMatchObject({ status: 'failed', reason, retryable: retried });
      expect(outcome.status === 'failed' && outcome.detail).toContain(`error ${name}`);
    });
  }
}

/** A test that every row of `table` (each code of a range) has a case and cites `docs`. */
export function testEveryGraphRowCased(
  table: GraphFailureTable,
  cases: readonly GraphFailureCase[],
  docs: RegExp,
): void {
  test('every row of the table has a case above, and every row cites its documentation', () => {
    const cased = new Set(cases.map(([code, subcode]) => `${code}/${subcode}`));
    for (const row of table) {
      const codes = typeof row.code === 'number' ? [row.code] : row.code;
      for (const code of codes) {
        expect(cased, `row ${code}/${row.subcode ?? null}`).toContain(
          `${code}/${row.subcode ?? null}`,
        );
      }
      expect(row.doc).toMatch(docs);
    }
  });
}
