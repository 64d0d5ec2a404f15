import { randomUUID } from 'node:crypto';
import type { Message } from '@cloudflare/workers-types/latest';
import { eq } from 'drizzle-orm';
import { createWorkspaceWithKey } from '../../api/bootstrap';
import type { Database } from '../../db/client';
import type { CredentialCipher } from '../../db/credentials';
import { readEventsAfter } from '../../db/event-log';
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
import type { GraphStep, SendMessageConfig, WaitConfig } from '../../workflow/types';
import { customWebhookAdapter } from '../channels/custom-webhook/adapter';
import { type EventPublisher, type LoggedEvent, loggedEventFromRow } from '../events/types';
import { type DispatchDeps, dispatchBatch } from './consumer';

/**
 * Rows for dispatch and runs tests, written directly (the API's own tests cover the mutations
 * that would write them): workspaces, channels, contacts with identities, published workflows.
 */

/** A whsec_ secret for custom channels (Standard Webhooks keys are base64 after the prefix). */
export const WEBHOOK_SECRET = `whsec_${Buffer.from('sendflow-test-signing-key-32byte').toString('base64')}`;

/** What seeding channels needs: the database and the cipher of the Worker or API under test. */
export interface SeedTarget {
  db: Database;
  cipher: CredentialCipher;
}

/** A workspace with an admin API key. */
export function seedWorkspace(db: Database, timezone = 'UTC') {
  return createWorkspaceWithKey(db, { name: `Dispatch ${randomUUID().slice(0, 8)}`, timezone });
}

/** A connected custom channel posting to `url`, signed with WEBHOOK_SECRET. */
export async function seedCustomChannel(
  harness: SeedTarget,
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
  harness: SeedTarget,
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

/** A queue message as the runtime hands it to the consumer (settling happens in handlers.ts). */
export function queueMessage(body: unknown, index: number): Message<unknown> {
  return { id: `m${index}`, timestamp: new Date(), body, attempts: 1, ack() {}, retry() {} };
}

/**
 * Consumes one batch of messages for `runIds` (first visit) in this process, as the Worker's
 * queue handler would, sending through the custom channel's adapter (to local endpoints) and
 * enqueueing nothing; events go to `events` when given, and `settings` (a send timeout...)
 * override the consumer's.
 */
export function consumeRuns(
  { db, cipher }: SeedTarget,
  runIds: readonly string[],
  events?: EventPublisher,
  settings: Partial<Pick<DispatchDeps, 'sendTimeoutMs'>> = {},
) {
  return dispatchBatch(
    runIds.map((runId, index) => queueMessage({ runId, visit: 1 }, index)),
    {
      db,
      sender: { send: async () => {} },
      cipher,
      adapterFor: ({ type }) => (type === 'custom' ? customWebhookAdapter : undefined),
      allowPrivateUrls: true,
      events,
      ...settings,
    },
  );
}

/** A run at `stepId`, first visit, due now and never enqueued: as startWorkflow commits one. */
export async function seedRunAt(
  db: Database,
  run: {
    workspaceId: string;
    workflowId: string;
    versionId: string;
    contactId: string;
    stepId: string;
  },
): Promise<string> {
  const { stepId, ...ids } = run;
  const [row] = await db
    .insert(runs)
    .values({ ...ids, currentStepId: stepId, stepVisit: 1 })
    .returning({ id: runs.id });
  return row!.id;
}

/**
 * A workspace with `steps` published as a workflow and one contact (`firstName`, no
 * identities): what tests of claims and loads put their runs on (seedRunAt).
 */
export async function seedWorkflowAndContact(db: Database, steps: StepSpec[], firstName: string) {
  const { workspaceId } = await seedWorkspace(db);
  const { workflowId, versionId, stepIds } = await publishWorkflow(db, workspaceId, steps);
  const contactId = await seedContact(db, workspaceId, { firstName }, []);
  return { workspaceId, workflowId, versionId, stepIds, contactId };
}

/**
 * A workspace whose contacts (`contacts` of them, or one per first name given) each have a run
 * at a workflow's send of `text` on a custom channel posting to `endpointUrl`, followed by a
 * wait of `waitAfterSeconds` when given: the first visit, due now, as startWorkflow leaves them.
 * Each contact's address on the channel is their first name; `apiKey` is the workspace's.
 */
export async function seedRunsAtCustomSend(
  target: SeedTarget,
  endpointUrl: string,
  contacts: number | readonly string[],
  { text = 'Hello', waitAfterSeconds }: { text?: string; waitAfterSeconds?: number } = {},
) {
  const { db } = target;
  const { workspaceId, apiKey } = await seedWorkspace(db);
  const channelId = await seedCustomChannel(target, workspaceId, endpointUrl);
  const send: StepSpec = {
    key: 'hello',
    type: 'send_message',
    config: sendConfig({
      channel: { kind: 'specific', channelId },
      defaultMessage: { type: 'text', text },
    }),
  };
  const steps: StepSpec[] =
    waitAfterSeconds === undefined
      ? [send]
      : [
          { ...send, next: 'pause' },
          { key: 'pause', type: 'wait', config: { seconds: waitAfterSeconds } },
        ];
  const { workflowId, versionId, stepIds } = await publishWorkflow(db, workspaceId, steps);
  const names =
    typeof contacts === 'number' ? Array.from({ length: contacts }, (_, i) => `C${i}`) : contacts;
  const runIds: string[] = [];
  for (const firstName of names) {
    const contactId = await seedContact(db, workspaceId, { firstName }, [
      { channelId, address: firstName },
    ]);
    runIds.push(
      await seedRunAt(db, {
        workspaceId,
        workflowId,
        versionId,
        contactId,
        stepId: stepIds.hello!,
      }),
    );
  }
  return { workspaceId, apiKey, channelId, workflowId, runIds };
}

/**
 * An EventPublisher that keeps what it is given, and what the log replays of the same events:
 * the record statement stores the events it builds from its rows, the consumer publishes the
 * ones it planned (record-events.ts), and the two must be the same, field for field.
 */
export function recordingPublisher(db: Database) {
  const published: LoggedEvent[] = [];
  return {
    events: {
      publish: async (batch: readonly LoggedEvent[]) => void published.push(...batch),
    } satisfies EventPublisher,
    published,
    /** Published and replayed events of one workspace (of one run, if given), in cursor order. */
    async compared(workspaceId: string, runId?: string) {
      const logged = await readEventsAfter(db, workspaceId, 0, 10_000, runId ? { runId } : {});
      return {
        published: published
          .filter((e) => e.workspaceId === workspaceId && (!runId || e.refs.runId === runId))
          .sort((a, b) => a.cursor - b.cursor),
        replayed: logged.map(loggedEventFromRow),
      };
    },
  };
}
