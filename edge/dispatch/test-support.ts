import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { inject } from 'vitest';
import { createWorkspaceWithKey } from '../../api/bootstrap';
import { CredentialCipher, generateCredentialsKey } from '../../api/credentials';
import type { Database } from '../../db/client';
import { createNodePostgres } from '../../db/drivers/node-postgres';
import {
  channels,
  contactIdentities,
  contacts,
  deliveries,
  runs,
  steps,
  workflows,
  workflowVersions,
} from '../../db/schema';
import { type DbProxy, type RunningWorker, startDbProxy, startWorker } from '../../test/workerd';
import type { GraphStep, SendMessageConfig, WaitConfig } from '../../workflow/types';
import { DEAD_LETTER_QUEUE_NAME, DISPATCH_QUEUE_NAME } from './queues';

/**
 * Test support for the dispatch pipeline: the real Worker bundle (edge/worker.ts) in Miniflare
 * with the real dispatch queue, its dead letter queue and the cron handler, reaching this run's
 * test Postgres through the Neon driver; plus seeding helpers that write rows directly (the
 * API's own tests cover the mutations that would write them).
 */

/** A whsec_ secret for custom channels (Standard Webhooks keys are base64 after the prefix). */
export const WEBHOOK_SECRET = `whsec_${Buffer.from('sendflow-test-signing-key-32byte').toString('base64')}`;

export interface DispatchHarness {
  worker: RunningWorker;
  db: Database;
  cipher: CredentialCipher;
  /** Sends one GraphQL operation through the Worker's fetch handler. */
  gql(apiKey: string, query: string, variables?: Record<string, unknown>): Promise<GqlResult>;
  /** Puts a message on the dispatch queue (or its dead letter queue) as a producer would. */
  enqueue(body: unknown, queue?: 'dispatch' | 'dead-letter'): Promise<void>;
  close(): Promise<void>;
}

export interface GqlResult {
  // biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary response shapes
  data: any;
  // biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary response shapes
  errors?: any[];
}

export interface HarnessOptions {
  maxBatchSize?: number;
  maxRetries?: number;
  trustedCertificates?: string[];
}

/** Starts the Worker with its queues and a Node-side pool onto the same database. */
export async function startDispatchHarness(options: HarnessOptions = {}): Promise<DispatchHarness> {
  const databaseUrl = inject('databaseUrl');
  const credentialsKey = generateCredentialsKey();
  const proxy: DbProxy = await startDbProxy(databaseUrl);
  const postgres = createNodePostgres(databaseUrl, { max: 4 });
  const worker = await startWorker({
    entry: 'edge/worker.ts',
    bindings: {
      DATABASE_URL: databaseUrl,
      DB_WS_PROXY: proxy.wsProxy,
      CREDENTIALS_KEY: credentialsKey,
      ENVIRONMENT: 'development',
      ALLOW_PRIVATE_URLS: 'true',
    },
    queueProducers: {
      DISPATCH_QUEUE: DISPATCH_QUEUE_NAME,
      // Only tests produce into the dead letter queue directly.
      DEAD_LETTER_QUEUE: DEAD_LETTER_QUEUE_NAME,
    },
    queueConsumers: {
      [DISPATCH_QUEUE_NAME]: {
        maxBatchSize: options.maxBatchSize ?? 10,
        maxBatchTimeout: 1,
        maxRetries: options.maxRetries ?? 10,
        deadLetterQueue: DEAD_LETTER_QUEUE_NAME,
      },
      [DEAD_LETTER_QUEUE_NAME]: { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 3 },
    },
    scheduled: true,
    ...(options.trustedCertificates ? { trustedCertificates: options.trustedCertificates } : {}),
  });
  return {
    worker,
    db: postgres.db,
    cipher: new CredentialCipher(credentialsKey),
    async gql(apiKey, query, variables) {
      const response = await worker.dispatchFetch('http://worker.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GqlResult;
    },
    async enqueue(body, queue = 'dispatch') {
      const producer = await worker.mf.getQueueProducer(
        queue === 'dispatch' ? 'DISPATCH_QUEUE' : 'DEAD_LETTER_QUEUE',
      );
      await producer.send(body);
    },
    async close() {
      await worker.dispose();
      await proxy.close();
      await postgres.close();
    },
  };
}

/** Polls `check` until it returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 15_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A workspace with an admin API key. */
export function seedWorkspace(db: Database, timezone = 'UTC') {
  return createWorkspaceWithKey(db, { name: `Dispatch ${randomUUID().slice(0, 8)}`, timezone });
}

/** A connected custom channel posting to `url`, signed with WEBHOOK_SECRET. */
export async function seedCustomChannel(
  harness: Pick<DispatchHarness, 'db' | 'cipher'>,
  workspaceId: string,
  url: string,
): Promise<string> {
  const [channel] = await harness.db
    .insert(channels)
    .values({
      workspaceId,
      type: 'custom',
      name: 'Custom',
      settings: { url },
      credentialsCiphertext: await harness.cipher.encrypt({ signingSecret: WEBHOOK_SECRET }),
    })
    .returning({ id: channels.id });
  return channel!.id;
}

/** A connected email channel speaking plain SMTP to `host:port`. */
export async function seedEmailChannel(
  harness: Pick<DispatchHarness, 'db' | 'cipher'>,
  workspaceId: string,
  smtp: { host: string; port: number; fromAddress?: string },
): Promise<string> {
  const [channel] = await harness.db
    .insert(channels)
    .values({
      workspaceId,
      type: 'email',
      name: 'Email',
      settings: {
        host: smtp.host,
        port: smtp.port,
        security: 'none',
        fromAddress: smtp.fromAddress ?? 'hello@sendflow.test',
        fromName: 'Sendflow',
      },
      credentialsCiphertext: await harness.cipher.encrypt({}),
    })
    .returning({ id: channels.id });
  return channel!.id;
}

/** A contact with identities on some channels; `lastInteractedChannelId` as given. */
export async function seedContact(
  db: Database,
  workspaceId: string,
  fields: Partial<typeof contacts.$inferInsert> = {},
  identities: { channelId: string; address: string; lastInboundAt?: Date }[] = [],
): Promise<string> {
  const [contact] = await db
    .insert(contacts)
    .values({ workspaceId, firstName: 'Ada', ...fields })
    .returning({ id: contacts.id });
  if (identities.length > 0) {
    await db.insert(contactIdentities).values(
      identities.map((identity) => ({
        workspaceId,
        contactId: contact!.id,
        channelId: identity.channelId,
        address: identity.address,
        lastInboundAt: identity.lastInboundAt ?? null,
      })),
    );
  }
  return contact!.id;
}

/** One step of a workflow to publish; `next`/`failure` name other steps by key. */
export type StepSpec =
  | {
      key: string;
      type: 'send_message';
      config: SendMessageConfig;
      next?: string;
      failure?: string;
    }
  | { key: string; type: 'wait'; config: WaitConfig; next?: string };

/** A Send a Message config with text content and the failure branch off, unless overridden. */
export function sendConfig(overrides: Partial<SendMessageConfig> = {}): SendMessageConfig {
  return {
    channel: { kind: 'last_interacted' },
    defaultMessage: { type: 'text', text: 'Hello $contact.firstname' },
    channelResponses: [],
    failureBranchEnabled: false,
    ...overrides,
  };
}

/**
 * Writes a workflow with draft steps and a published version 1 whose graph holds the same
 * steps (the first spec is the entry step). Returns the ids, step ids by key.
 */
export async function publishWorkflow(
  db: Database,
  workspaceId: string,
  specs: StepSpec[],
): Promise<{ workflowId: string; versionId: string; stepIds: Record<string, string> }> {
  const stepIds = Object.fromEntries(specs.map((spec) => [spec.key, randomUUID()]));
  const graphSteps: GraphStep[] = specs.map((spec) => ({
    id: stepIds[spec.key]!,
    type: spec.type,
    name: spec.key,
    config: spec.config,
    nextStepId: spec.next ? stepIds[spec.next]! : null,
    failureStepId: spec.type === 'send_message' && spec.failure ? stepIds[spec.failure]! : null,
  }));
  const entryStepId = graphSteps[0]!.id;
  const [workflow] = await db
    .insert(workflows)
    .values({ workspaceId, name: `Workflow ${randomUUID().slice(0, 8)}`, entryStepId })
    .returning({ id: workflows.id });
  const workflowId = workflow!.id;
  await db.insert(steps).values(
    graphSteps.map((step, position) => ({
      id: step.id,
      workspaceId,
      workflowId,
      type: step.type,
      name: step.name ?? null,
      config: step.config as unknown as Record<string, unknown>,
      position,
    })),
  );
  const [version] = await db
    .insert(workflowVersions)
    .values({
      workspaceId,
      workflowId,
      version: 1,
      graph: { entryStepId, steps: graphSteps },
      report: { errors: [], warnings: [] },
    })
    .returning({ id: workflowVersions.id });
  await db
    .update(workflows)
    .set({ publishedVersionId: version!.id })
    .where(eq(workflows.id, workflowId));
  return { workflowId, versionId: version!.id, stepIds };
}

export const START_WORKFLOW = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    startWorkflow(input: $input) {
      __typename
      ... on MutationStartWorkflowSuccess { data { runCount runs { id status stepVisit } } }
      ... on ValidationError { issues { code path message } }
      ... on NotFoundError { entity id }
    }
  }
`;

/** Starts a workflow through GraphQL in the Worker; returns the run ids. */
export async function startThroughApi(
  harness: DispatchHarness,
  apiKey: string,
  workflowId: string,
  contactIds: string[],
  variables?: Record<string, string>,
): Promise<string[]> {
  const result = await harness.gql(apiKey, START_WORKFLOW, {
    input: { workflowId, contactIds, variables },
  });
  const payload = result.data?.startWorkflow;
  if (payload?.__typename !== 'MutationStartWorkflowSuccess') {
    throw new Error(`startWorkflow failed: ${JSON.stringify(result)}`);
  }
  return payload.data.runs.map((run: { id: string }) => run.id);
}

/** The run row, read directly. */
export async function readRun(db: Database, runId: string) {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  return run!;
}

/** The run's deliveries, read directly. */
export function readDeliveries(db: Database, runId: string) {
  return db.select().from(deliveries).where(eq(deliveries.runId, runId));
}

/** Waits until the run is no longer active, or has moved past `visit`. */
export function waitForRun(
  db: Database,
  runId: string,
  done: (run: Awaited<ReturnType<typeof readRun>>) => boolean,
  timeoutMs = 15_000,
) {
  return waitFor(
    async () => {
      const run = await readRun(db, runId);
      return done(run) ? run : undefined;
    },
    { timeoutMs, what: `run ${runId}` },
  );
}
