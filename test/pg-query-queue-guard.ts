import { afterAll, expect } from 'vitest';

/**
 * Fails the test file in which pg warns "Calling client.query() when the client is already
 * executing a query is deprecated": statements issued together on one client (a transaction,
 * or a pool of one) only queue inside the driver, and pg 9 removes that queue. A vitest setup
 * file: the listener lives as long as the file's process, and its stack names the caller.
 */
const PG_QUERY_QUEUE = /client is already executing a query/;
const warnings: Error[] = [];

process.on('warning', function recordPgQueryQueue(warning) {
  if (PG_QUERY_QUEUE.test(warning.message)) warnings.push(warning);
});

afterAll(() => {
  expect(warnings.map((warning) => warning.stack)).toEqual([]);
});
