import { count, eq, inArray, sql } from 'drizzle-orm';
import { isUnionType } from 'graphql';
import { expect } from 'vitest';
import type { Database } from '../../db/client';
import { queryRows } from '../../db/rows';
import { channels, files, snippets, steps, workflows, workflowVersions } from '../../db/schema';
import type { ChannelTemplate } from '../../workflow/channel-templates';
import { apiSchema } from '../server';
import type { Json, TestApi } from '../test-support';

/**
 * Shared by the workflow, step and publish tests: a workspace's library rows, the GraphQL
 * documents for workflow mutations, and row counts for "nothing was written" assertions.
 */

/** The templates the seeded WhatsApp channel's account has (as if listed from Graph). */
export const TEST_WHATSAPP_TEMPLATES: ChannelTemplate[] = [
  {
    name: 'spring_offer',
    language: 'en_US',
    status: 'APPROVED',
    category: 'MARKETING',
    bodyParameters: 1,
    otherParameters: 0,
  },
  {
    name: 'order_update',
    language: 'en',
    status: 'APPROVED',
    category: 'UTILITY',
    bodyParameters: 2,
    otherParameters: 0,
  },
];

/** Channels of several types (and one disconnected), a file and a snippet in one workspace. */
export async function seedLibrary(db: Database, workspaceId: string) {
  const channel = (
    type: (typeof channels.$inferInsert)['type'],
    status = 'connected' as const,
  ) => ({
    workspaceId,
    type,
    name: `${type} ${status}`,
    status,
  });
  const [email, whatsapp, telegram, messenger, sms] = await db
    .insert(channels)
    .values([
      channel('email'),
      { ...channel('whatsapp'), templates: TEST_WHATSAPP_TEMPLATES, templatesSyncedAt: new Date() },
      channel('telegram'),
      channel('messenger'),
      channel('sms'),
    ])
    .returning();
  const [disconnected] = await db
    .insert(channels)
    .values({ ...channel('sms'), name: 'old sms', status: 'disconnected' })
    .returning();
  const [file] = await db
    .insert(files)
    .values({
      workspaceId,
      name: 'brochure.pdf',
      contentType: 'application/pdf',
      sizeBytes: 1024,
      url: 'https://files.example.com/brochure.pdf',
    })
    .returning();
  const [snippet] = await db
    .insert(snippets)
    .values({ workspaceId, name: 'signature', body: 'Kind regards, the Sendflow team' })
    .returning();
  return {
    email: email!,
    whatsapp: whatsapp!,
    telegram: telegram!,
    messenger: messenger!,
    sms: sms!,
    disconnected: disconnected!,
    file: file!,
    snippet: snippet!,
  };
}

/**
 * How many workflows, steps and versions the given workspaces hold. Scoped to them because
 * other test files write to the same database at the same time.
 */
export async function rowCounts(db: Database, workspaceIds: string[]) {
  const [[w], [s], [v]] = await Promise.all([
    db.select({ n: count() }).from(workflows).where(inArray(workflows.workspaceId, workspaceIds)),
    db.select({ n: count() }).from(steps).where(inArray(steps.workspaceId, workspaceIds)),
    db
      .select({ n: count() })
      .from(workflowVersions)
      .where(inArray(workflowVersions.workspaceId, workspaceIds)),
  ]);
  return { workflows: w!.n, steps: s!.n, versions: v!.n };
}

/** A step's stored row, to assert what a rejected write left untouched. */
export async function storedStep(db: Database, id: string) {
  const [row] = await db.select().from(steps).where(eq(steps.id, id));
  return row;
}

export const STEP_FIELDS = /* GraphQL */ `
  fragment StepFields on Step {
    __typename id type name position nextStepId failureStepId
    ... on SendMessageStep {
      config {
        channel { kind channelId channel { id name type } }
        defaultMessage {
          __typename
          ... on TextMessage { text }
          ... on MediaMessage { fileId caption file { id name } }
        }
        channelResponses {
          channelId channel { id type }
          content {
            __typename
            ... on TextMessage { text }
            ... on MediaMessage { fileId caption }
            ... on WhatsAppTemplateMessage { templateName languageCode parameters }
            ... on MessengerTaggedMessage { tag text }
          }
        }
        email {
          subject
          body { type level ordered spans { text bold italic underline link } items { text bold link } }
        }
        failureBranchEnabled
      }
    }
    ... on WaitStep { seconds }
  }
`;

// The editor's document: a workflow with every step's full config in one request.
const WORKFLOW_FIELDS = /* GraphQL */ `
  fragment WorkflowFields on Workflow {
    id name description status hasUnpublishedChanges stepCount
    entryStep { id }
    steps { ...StepFields }
    publishedVersion { id version }
  }
  ${STEP_FIELDS}
`;

const ERROR_SELECTIONS: Record<string, string> = {
  ValidationError: '... on ValidationError { message issues { code path message stepId } }',
  NotFoundError: '... on NotFoundError { message entity id }',
  PublishRejected: `... on PublishRejected {
    message report { errors { code stepId path } warnings { code stepId path } }
  }`,
};

/** A mutation document aliased to `result`, selecting its success data and every error it has. */
function mutation(field: string, args: string, selection: string, fragments: string) {
  const prefix = `Mutation${field[0]!.toUpperCase()}${field.slice(1)}`;
  const union = apiSchema().getType(`${prefix}Result`);
  if (!isUnionType(union)) throw new Error(`${field} has no result union`);
  const errors = union
    .getTypes()
    .map((member) => ERROR_SELECTIONS[member.name])
    .filter(Boolean);
  return /* GraphQL */ `
    mutation (${args}) {
      result: ${field}(${args.replace(/\$(\w+): [^,]+/g, '$1: $$$1')}) {
        __typename
        ... on ${prefix}Success { data ${selection} }
        ${errors.join('\n')}
      }
    }
    ${fragments}
  `;
}

const WORKFLOW = '{ ...WorkflowFields }';
const STEP = '{ ...StepFields }';

export const DOCUMENTS = {
  createWorkflow: mutation(
    'createWorkflow',
    '$input: CreateWorkflowInput!',
    WORKFLOW,
    WORKFLOW_FIELDS,
  ),
  updateWorkflow: mutation(
    'updateWorkflow',
    '$input: UpdateWorkflowInput!',
    WORKFLOW,
    WORKFLOW_FIELDS,
  ),
  deleteWorkflow: mutation('deleteWorkflow', '$id: ID!', '', ''),
  addSendMessageStep: mutation(
    'addSendMessageStep',
    '$input: AddSendMessageStepInput!',
    STEP,
    STEP_FIELDS,
  ),
  updateSendMessageStep: mutation(
    'updateSendMessageStep',
    '$input: UpdateSendMessageStepInput!',
    STEP,
    STEP_FIELDS,
  ),
  addWaitStep: mutation('addWaitStep', '$input: AddWaitStepInput!', STEP, STEP_FIELDS),
  updateWaitStep: mutation('updateWaitStep', '$input: UpdateWaitStepInput!', STEP, STEP_FIELDS),
  connectSteps: mutation('connectSteps', '$stepId: ID!, $nextStepId: ID', STEP, STEP_FIELDS),
  deleteStep: mutation('deleteStep', '$stepId: ID!', WORKFLOW, WORKFLOW_FIELDS),
  setEntryStep: mutation(
    'setEntryStep',
    '$workflowId: ID!, $stepId: ID!',
    WORKFLOW,
    WORKFLOW_FIELDS,
  ),
  publishWorkflow: mutation(
    'publishWorkflow',
    '$workflowId: ID!',
    `{ workflow { ...WorkflowFields } version { id version stepCount entryStepId
        report { errors { code } warnings { code stepId path message } } }
      report { errors { code } warnings { code stepId path message } } }`,
    WORKFLOW_FIELDS,
  ),
  workflow: /* GraphQL */ `
    query ($id: ID!) { workflow(id: $id) { ...WorkflowFields } }
    ${WORKFLOW_FIELDS}
  `,
};

export type MutationName = Exclude<keyof typeof DOCUMENTS, 'workflow'>;

/** One mutation's result: `__typename` plus the success data or the error's fields. */
export interface MutationResult {
  __typename: string;
  data?: Json;
  issues?: { code: string; path: string; message: string; stepId: string | null }[];
  report?: Json;
  entity?: string;
}

/** Runs workflow mutations and queries with one API key. */
export function workflowClient(api: TestApi, key: string) {
  async function run(name: MutationName, variables: Record<string, unknown>) {
    const response = await api.gql(key, DOCUMENTS[name], variables);
    expect(response.errors).toBeUndefined();
    return response.data.result as MutationResult;
  }
  /** Runs a mutation that must succeed and returns its data. */
  async function ok(name: MutationName, variables: Record<string, unknown>) {
    const result = await run(name, variables);
    expect(result, JSON.stringify(result)).toMatchObject({
      __typename: expect.stringMatching(/Success$/),
    });
    return result.data;
  }
  return {
    run,
    ok,
    async workflow(id: string) {
      const response = await api.gql(key, DOCUMENTS.workflow, { id });
      expect(response.errors).toBeUndefined();
      return response.data.workflow;
    },
    async createWorkflow(name = 'Welcome series') {
      return ok('createWorkflow', { input: { name } });
    },
  };
}

/** A valid text message config on one channel. */
export function textConfig(channelId: string, text = 'Hello $contact.firstname') {
  return {
    channel: { kind: 'SPECIFIC', channelId },
    defaultMessage: { text },
  };
}

/** A transaction of `Database`, as `db.transaction` gives it to its callback. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * Runs `request` while another connection's transaction has deleted rows (`remove`) and not yet
 * committed, and commits once the request waits for that transaction: the request has found
 * the rows and is writing something that needs them (a foreign key), so it meets the delete
 * between its check and its write. Returns the request's own result.
 */
export async function duringDelete<T>(
  db: Database,
  remove: (tx: Transaction) => Promise<unknown>,
  request: () => Promise<T>,
): Promise<T> {
  let pending: Promise<T> | undefined;
  let settled = false;
  await db.transaction(async (tx) => {
    await remove(tx);
    const [backend] = await queryRows<{ pid: number }>(
      tx as unknown as Database,
      sql`select pg_backend_pid() as pid`,
    );
    pending = request();
    pending.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    for (const started = Date.now(); ; ) {
      const waiting = await queryRows(
        db,
        sql`select 1 from pg_stat_activity where ${backend!.pid}::int = any(pg_blocking_pids(pid))`,
      );
      if (waiting.length > 0) return;
      // Otherwise the test would not be about the race it names.
      if (settled) throw new Error('The request finished without waiting for the delete');
      if (Date.now() - started > 10_000) throw new Error('The request never waited for the delete');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return pending!;
}
