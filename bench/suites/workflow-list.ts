import type { RequestListener } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { createWorkspaceWithKey } from '../../api/bootstrap';
import { type ApiServer, createApi } from '../../api/server';
import type { Database } from '../../db/client';
import { generateCredentialsKey } from '../../db/credentials';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import { channels } from '../../db/schema';
import { startDbProxy, startWorker } from '../../test/workerd';
import type { Suite, SuiteOutcome } from '../suite';
import { createBenchDatabase, waitForIdlePool } from '../support/database';
import { type FetchLike, type graphql, mutate } from '../support/graphql';
import { listenLocal } from '../support/http-server';
import { type LoadPlan, type LoadRun, runLoad } from '../support/load';
import { memoryFloorServer, withTypenames } from '../support/memory-floor';
import { type SequentialCpu, sequentialCpu } from '../support/sequential-cpu';
import { figure, formatTable, ratio } from '../support/table';
import { filterWorkerLogs } from '../support/worker-logs';
import {
  ADD_SEND_MESSAGE_STEP,
  CONNECT_STEPS,
  CREATE_WORKFLOW,
} from '../support/workflow-documents';

/**
 * Issue 2: "list 20 workflows with 5 steps each at 32 concurrent connections against local
 * Postgres", requests/s and p99, next to a hello-world Yoga server measured the same way in the
 * same run, and (second row) the same query through the Worker in workerd.
 */

const WORKFLOWS = 20;
const STEPS_PER_WORKFLOW = 5;
const CONNECTIONS = 32;
const SECONDS = 10;
const WARMUP_SECONDS = 2;
/**
 * node-postgres pool of the Node API server. A request holds a connection for one or two short
 * queries, so 10 keeps 32 connections' requests flowing without crowding a 2-core Postgres.
 */
const POOL_SIZE = 10;

/** What an editor's workflow list asks for: each workflow with its steps and their configs. */
export const LIST_WORKFLOWS = /* GraphQL */ `
  query ListWorkflows {
    workflows(first: ${WORKFLOWS}) {
      nodes {
        id
        name
        status
        steps {
          id
          name
          position
          nextStepId
          ... on SendMessageStep {
            config {
              channel { kind channelId channel { id name type } }
              defaultMessage { ... on TextMessage { text } }
              email { subject }
              failureBranchEnabled
            }
          }
        }
      }
    }
  }
`;

const HELLO_QUERY = '{ hello }';

/** A rich-text email body with variables, one paragraph per line. */
function emailBody(step: number) {
  return [
    { type: 'HEADING', level: 1, spans: [{ text: `Step ${step}, $contact.firstname` }] },
    {
      type: 'PARAGRAPH',
      spans: [
        { text: 'Your plan: ' },
        { text: '$contact.plan', bold: true },
        { text: '. Read more', link: 'https://example.com/guide' },
      ],
    },
  ];
}

/** Seeds the workspace through the real mutations: workflows, steps, and the edges between. */
async function seedWorkflows(fetcher: FetchLike, apiKey: string, channelId: string) {
  const url = 'http://bench/graphql';
  for (let w = 1; w <= WORKFLOWS; w++) {
    const workflow = await mutate(fetcher, url, apiKey, CREATE_WORKFLOW, {
      input: { name: `Onboarding ${w}`, description: 'Seeded by the benchmark' },
    });
    const stepIds: string[] = [];
    for (let s = 1; s <= STEPS_PER_WORKFLOW; s++) {
      const step = await mutate(fetcher, url, apiKey, ADD_SEND_MESSAGE_STEP, {
        input: {
          workflowId: workflow.id,
          name: `Email ${s}`,
          config: {
            channel: { kind: 'SPECIFIC', channelId },
            defaultMessage: { text: `Hello $contact.firstname, this is message ${s}.` },
            email: { subject: `Message ${s} for $contact.firstname`, body: emailBody(s) },
            failureBranchEnabled: false,
          },
        },
      });
      stepIds.push(step.id);
    }
    for (let s = 0; s < stepIds.length - 1; s++) {
      await mutate(fetcher, url, apiKey, CONNECT_STEPS, {
        stepId: stepIds[s],
        nextStepId: stepIds[s + 1],
      });
    }
  }
}

async function insertEmailChannel(db: Database, workspaceId: string): Promise<string> {
  const [channel] = await db
    .insert(channels)
    .values({
      workspaceId,
      type: 'email',
      name: 'Newsletter',
      status: 'connected',
      settings: { fromAddress: 'news@example.com' },
    })
    .returning({ id: channels.id });
  return channel!.id;
}

/** The list must hold every workflow with all its steps, each with its config. */
function checkList(body: Awaited<ReturnType<typeof graphql>>): void {
  const nodes = body.data?.workflows?.nodes ?? [];
  if (nodes.length !== WORKFLOWS)
    throw new Error(`expected ${WORKFLOWS} workflows, got ${nodes.length}`);
  for (const node of nodes) {
    const steps = node.steps ?? [];
    if (steps.length !== STEPS_PER_WORKFLOW) {
      throw new Error(
        `workflow ${node.name}: expected ${STEPS_PER_WORKFLOW} steps, got ${steps.length}`,
      );
    }
    for (const step of steps) {
      if (!step.config?.channel?.channel?.id || !step.config.email?.subject) {
        throw new Error(`step ${step.id} came back without its config: ${JSON.stringify(step)}`);
      }
    }
  }
}

/** POSTs the query once, checks the answer, and returns the exact body every response must equal. */
async function expectedBody(
  url: string,
  apiKey: string | null,
  query: string,
  check: (body: Awaited<ReturnType<typeof graphql>>) => void,
): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${text}`);
  const body = JSON.parse(text);
  if (body.errors) throw new Error(`${url} answered errors: ${JSON.stringify(body.errors)}`);
  check(body);
  return text;
}

function plan(url: string, apiKey: string | null, query: string, expectBody: string): LoadPlan {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return {
    url,
    connections: CONNECTIONS,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    method: 'POST',
    headers,
    body: JSON.stringify({ query }),
    expectBody,
  };
}

interface Row {
  label: string;
  run: LoadRun;
  bytes: number;
  /** False when the server runs in another process (workerd): its CPU is not ours to count. */
  inProcess: boolean;
}

function failures(run: LoadRun): number {
  return run.non2xx + run.errors + run.timeouts + run.mismatches;
}

function printRows(rows: Row[]): void {
  const header = [
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'requests',
    'non-2xx',
    'errors',
    'wrong body',
    'body bytes',
    'server CPU ms/req',
    'bench proc CPU',
    'machine CPU',
  ];
  const cells = rows.map(({ label, run, bytes, inProcess }) => [
    label,
    figure(run.requestsPerSecond, 1),
    figure(run.latencyMs.p50),
    figure(run.latencyMs.p99),
    figure(run.latencyMs.max),
    figure(run.requests),
    figure(run.non2xx),
    figure(run.errors + run.timeouts),
    figure(run.mismatches),
    figure(bytes),
    inProcess ? figure(run.cpuMsPerRequest, 2) : 'n/a',
    `${figure(run.cpu.processPercent)}%`,
    run.cpu.machinePercent === null ? 'n/a' : `${figure(run.cpu.machinePercent)}%`,
  ]);
  console.log(formatTable(header, cells));
}

async function measureNodeApi(
  databaseUrl: string,
): Promise<{ row: Row; floor: Row; sequential: SequentialCpu; apiKey: string }> {
  const postgres = createNodePostgres(databaseUrl, { max: POOL_SIZE });
  try {
    const { workspaceId, apiKey } = await createWorkspaceWithKey(postgres.db, { name: 'Bench' });
    const channelId = await insertEmailChannel(postgres.db, workspaceId);
    const yoga = createApi({
      db: postgres.db,
      credentialsKey: generateCredentialsKey(),
      production: true,
    });
    await seedWorkflows((url, init) => Promise.resolve(yoga.fetch(url, init)), apiKey, channelId);
    const server = await listenLocal(yoga as unknown as RequestListener);
    try {
      const url = `${server.url}/graphql`;
      const body = await expectedBody(url, apiKey, LIST_WORKFLOWS, checkList);
      console.log(
        `  seeded and checked: ${WORKFLOWS} workflows × ${STEPS_PER_WORKFLOW} steps; measuring the API…`,
      );
      const run = await runLoad(plan(url, apiKey, LIST_WORKFLOWS, body));
      // The same API without its response cache: what a request costs when the cache misses.
      const uncached = createApi({
        db: postgres.db,
        credentialsKey: generateCredentialsKey(),
        production: true,
        responseCache: false,
      });
      const { floor, sequential } = await measureFloor(yoga, uncached, url, apiKey, body);
      return {
        row: {
          label: `API (Node, pg pool ${POOL_SIZE})`,
          run,
          bytes: body.length,
          inProcess: true,
        },
        floor,
        sequential,
        apiKey,
      };
    } finally {
      await server.close();
    }
  } finally {
    await waitForIdlePool(postgres.pool);
    await postgres.close();
  }
}

async function measureHello(): Promise<Row> {
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { hello: String }',
      resolvers: { Query: { hello: () => 'world' } },
    }),
  });
  const server = await listenLocal(yoga as unknown as RequestListener);
  try {
    const url = `${server.url}/graphql`;
    const body = await expectedBody(url, null, HELLO_QUERY, (answer) => {
      if (answer.data?.hello !== 'world')
        throw new Error(`hello answered ${JSON.stringify(answer)}`);
    });
    console.log('  measuring hello-world Yoga…');
    const run = await runLoad(plan(url, null, HELLO_QUERY, body));
    return { label: 'hello-world Yoga (Node)', run, bytes: body.length, inProcess: true };
  } finally {
    await server.close();
  }
}

/**
 * The floor: the API's schema answering the same query from memory (support/memory-floor.ts).
 * Its response must be byte-identical to the API's.
 */
async function measureFloor(
  api: ApiServer,
  uncached: ApiServer,
  apiUrl: string,
  apiKey: string,
  apiBody: string,
): Promise<{ floor: Row; sequential: SequentialCpu }> {
  const typed = await fetch(apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query: withTypenames(LIST_WORKFLOWS) }),
  });
  const { data } = (await typed.json()) as { data: Record<string, unknown> };
  const yoga = memoryFloorServer(data);
  const server = await listenLocal(yoga as unknown as RequestListener);
  try {
    const url = `${server.url}/graphql`;
    const body = await expectedBody(url, null, LIST_WORKFLOWS, checkList);
    if (body !== apiBody) throw new Error('the floor does not answer the bytes the API answers');
    console.log('  measuring the floor (same schema and result, from memory)…');
    const run = await runLoad(plan(url, null, LIST_WORKFLOWS, body));
    console.log('  measuring CPU per request, API and floor one request at a time, interleaved…');
    const request = () =>
      new Request('http://bench/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query: LIST_WORKFLOWS }),
      });
    const sequential = await sequentialCpu(
      [(r) => api.fetch(r), (r) => yoga.fetch(r), (r) => uncached.fetch(r)],
      request,
      body,
    );
    return {
      floor: { label: 'floor (API schema, from memory)', run, bytes: body.length, inProcess: true },
      sequential,
    };
  } finally {
    await server.close();
  }
}

/** The same query through the Worker bundle in workerd: Neon driver over the local ws proxy. */
async function measureWorker(databaseUrl: string, apiKey: string): Promise<Row> {
  const proxy = await startDbProxy(databaseUrl);
  try {
    const worker = await startWorker({
      entry: 'edge/worker.ts',
      bindings: {
        DATABASE_URL: databaseUrl,
        DB_WS_PROXY: proxy.wsProxy,
        CREDENTIALS_KEY: generateCredentialsKey(),
        ENVIRONMENT: 'development',
      },
      queueProducers: { DISPATCH_QUEUE: 'sendflow-dispatch' },
    });
    const logs = filterWorkerLogs();
    try {
      const url = `${worker.url}/graphql`;
      const body = await expectedBody(url, apiKey, LIST_WORKFLOWS, checkList);
      console.log('  measuring the Worker in workerd (Miniflare)…');
      const run = await runLoad(plan(url, apiKey, LIST_WORKFLOWS, body));
      console.log(
        `  the Worker logged ${figure(logs.dropped.get('request') ?? 0)} request lines (not shown) and ${logs.problems} warnings/errors`,
      );
      return {
        label: 'API (Worker in workerd, Neon over ws proxy)',
        run,
        bytes: body.length,
        inProcess: false,
      };
    } finally {
      logs.restore();
      await worker.dispose();
    }
  } finally {
    await proxy.close();
  }
}

export const workflowListSuite: Suite = {
  name: 'workflow-list',
  title: `List ${WORKFLOWS} workflows × ${STEPS_PER_WORKFLOW} steps at ${CONNECTIONS} connections vs hello-world Yoga (issue 2)`,
  async run(): Promise<SuiteOutcome> {
    const database = await createBenchDatabase('workflow_list');
    try {
      const { row: api, floor, sequential, apiKey } = await measureNodeApi(database.url);
      const hello = await measureHello();
      const worker = await measureWorker(database.url, apiKey);
      const rows = [api, floor, hello, worker];
      console.log(
        `\n  autocannon ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s measured, in a child process; servers in the bench process (Worker: workerd child process)\n`,
      );
      printRows(rows);
      const [apiSeq, floorSeq, missSeq] = sequential.msPerRequest as [number, number, number];
      console.log(
        `\n  one request at a time (${sequential.requests} each, interleaved): API ${figure(apiSeq, 2)} ms CPU/request, floor ${figure(floorSeq, 2)} ms; API ÷ floor = ${ratio(apiSeq, floorSeq)} (goal ≤ 2); API without its response cache ${figure(missSeq, 2)} ms (${ratio(missSeq, floorSeq)} the floor)`,
      );
      const floorCpuRatio = ratio(api.run.cpuMsPerRequest, floor.run.cpuMsPerRequest);
      const floorRpsRatio = ratio(floor.run.requestsPerSecond, api.run.requestsPerSecond);
      console.log(
        `\n  API CPU/req ÷ floor CPU/req = ${floorCpuRatio} (goal ≤ 2); floor rps / API rps = ${floorRpsRatio}`,
      );
      const rpsRatio = ratio(hello.run.requestsPerSecond, api.run.requestsPerSecond);
      const p99Ratio = ratio(api.run.latencyMs.p99, hello.run.latencyMs.p99);
      const cpuRatio = ratio(api.run.cpuMsPerRequest, hello.run.cpuMsPerRequest);
      console.log(
        `  hello rps / API rps = ${rpsRatio}; API p99 / hello p99 = ${p99Ratio}; API CPU/req ÷ hello CPU/req = ${cpuRatio}`,
      );
      console.log(
        `  Worker rps / Node API rps = ${ratio(worker.run.requestsPerSecond, api.run.requestsPerSecond)}`,
      );
      const headline = (row: Row) =>
        `${row.label}: ${figure(row.run.requestsPerSecond, 1)} req/s, p99 ${figure(row.run.latencyMs.p99)} ms` +
        (row.inProcess ? `, ${figure(row.run.cpuMsPerRequest, 2)} ms CPU/request` : '');
      return {
        ok: rows.every((row) => failures(row.run) === 0),
        headlines: [
          ...rows.map(headline),
          `listing CPU/request one at a time: API ${figure(apiSeq, 2)} ms, floor ${figure(floorSeq, 2)} ms, ratio ${ratio(apiSeq, floorSeq)} (goal ≤ 2); uncached API ${figure(missSeq, 2)} ms (${ratio(missSeq, floorSeq)})`,
          `under load (autocannon): API/floor CPU per request ${floorCpuRatio}, floor/API req/s ${floorRpsRatio}`,
          `hello/API: ${rpsRatio} req/s, API/hello p99 ${p99Ratio}, API/hello CPU per request ${cpuRatio}`,
        ],
      };
    } finally {
      await database.drop();
    }
  },
};
