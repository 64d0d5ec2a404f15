import type { Suite } from './suite';
import { dispatchBacklogSuite } from './suites/dispatch-backlog';
import { dispatchThroughputSuite } from './suites/dispatch-throughput';
import { emailRenderSuite } from './suites/email-render';
import { eventLatencySuite } from './suites/event-latency';
import { segmentStartSuite } from './suites/segment-start';
import { sendPacingSuite } from './suites/send-pacing';
import { webhookThroughputSuite } from './suites/webhook-throughput';
import { workerHeapSuite } from './suites/worker-heap';
import { workflowListSuite } from './suites/workflow-list';
import { loadSummary, machineSummary } from './support/cpu';

/**
 * `npm run bench` runs every suite in one process, one after another (they never overlap, so
 * one suite's load does not skew another's figures); `npm run bench -- <name>…` runs some.
 */

const SUITES: Suite[] = [
  workflowListSuite,
  emailRenderSuite,
  dispatchThroughputSuite,
  dispatchBacklogSuite,
  sendPacingSuite,
  eventLatencySuite,
  segmentStartSuite,
  webhookThroughputSuite,
  workerHeapSuite,
];

function selectSuites(names: string[]): Suite[] {
  if (names.length === 0) return SUITES;
  const unknown = names.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    const known = SUITES.map((suite) => suite.name).join(', ');
    throw new Error(`unknown suite ${unknown.join(', ')}; suites: ${known}`);
  }
  return SUITES.filter((suite) => names.includes(suite.name));
}

async function main(): Promise<number> {
  const suites = selectSuites(process.argv.slice(2));
  console.log(`sendflow benchmarks — ${new Date().toISOString()}`);
  console.log(`machine: ${machineSummary()}\n`);
  const summary: string[] = [];
  let failed = 0;
  for (const suite of suites) {
    console.log(`== ${suite.name}: ${suite.title}`);
    console.log(`  ${loadSummary()}`);
    const started = performance.now();
    try {
      const outcome = await suite.run();
      const seconds = (performance.now() - started) / 1000;
      if (!outcome.ok) failed++;
      summary.push(
        `${suite.name} (${outcome.ok ? 'ok' : 'CHECKS FAILED'}, ${seconds.toFixed(0)} s)`,
      );
      summary.push(...outcome.headlines.map((line) => `  ${line}`));
    } catch (error) {
      failed++;
      console.error(error);
      summary.push(`${suite.name}: FAILED — ${(error as Error).message}`);
    }
    console.log('');
  }
  console.log('== summary');
  console.log(summary.join('\n'));
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
