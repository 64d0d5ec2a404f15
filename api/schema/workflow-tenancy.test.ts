import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { snippets, steps, workflows } from '../../db/schema';
import { useTestApi } from '../test-support';
import {
  type MutationName,
  rowCounts,
  seedLibrary,
  textConfig,
  workflowClient,
} from '../workflows/test-fixtures';

/** Workspace A's key can neither read nor change workspace B's workflows, steps or versions. */

const api = useTestApi();
let workspaceIds: string[];
let a: ReturnType<typeof workflowClient>;
let aReadKey: string;
let aLibrary: Awaited<ReturnType<typeof seedLibrary>>;
let aWorkflowId: string;
let aStepId: string;
let bKey: string;
let bLibrary: Awaited<ReturnType<typeof seedLibrary>>;
let b: { workflowId: string; stepId: string; waitId: string; versionId: string };

beforeAll(async () => {
  const workspaceA = await api.createWorkspace('A');
  const workspaceB = await api.createWorkspace('B');
  workspaceIds = [workspaceA.workspaceId, workspaceB.workspaceId];
  a = workflowClient(api, workspaceA.apiKey);
  aReadKey = await api.createKey(workspaceA.workspaceId, ['read']);
  bKey = workspaceB.apiKey;
  aLibrary = await seedLibrary(api.db, workspaceA.workspaceId);
  bLibrary = await seedLibrary(api.db, workspaceB.workspaceId);
  await api.db
    .insert(snippets)
    .values({ workspaceId: workspaceB.workspaceId, name: 'b_only', body: 'B' });

  const bClient = workflowClient(api, bKey);
  const workflowId = (await bClient.createWorkflow('B secret')).id;
  const step = await bClient.ok('addSendMessageStep', {
    input: { workflowId, config: textConfig(bLibrary.sms.id) },
  });
  const wait = await bClient.ok('addWaitStep', { input: { workflowId, seconds: 9 } });
  await bClient.ok('connectSteps', { stepId: step.id, nextStepId: wait.id });
  const published = await bClient.ok('publishWorkflow', { workflowId });
  b = { workflowId, stepId: step.id, waitId: wait.id, versionId: published.version.id };

  aWorkflowId = (await a.createWorkflow('A own')).id;
  aStepId = (
    await a.ok('addSendMessageStep', {
      input: { workflowId: aWorkflowId, config: textConfig(aLibrary.sms.id) },
    })
  ).id;
});

describe("workspace A's key and workspace B's data", () => {
  it('cannot read B workflows, steps or versions', async () => {
    expect(await a.workflow(b.workflowId)).toBeNull();
    const response = await api.gql(
      aReadKey,
      /* GraphQL */ `
        query ($version: ID!) {
          workflows(first: 100) { nodes { id steps { id } } }
          workflowVersion(id: $version) { id }
        }
      `,
      { version: b.versionId },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data.workflowVersion).toBeNull();
    const listed = response.data.workflows.nodes;
    expect(listed.map((node: { id: string }) => node.id)).toEqual([aWorkflowId]);
  });

  it('cannot change B workflows or steps: each attempt is NotFoundError and nothing changes', async () => {
    const before = await rowCounts(api.db, workspaceIds);
    const [workflowBefore] = await api.db
      .select()
      .from(workflows)
      .where(eq(workflows.id, b.workflowId));
    const stepsBefore = await api.db.select().from(steps).where(eq(steps.workflowId, b.workflowId));

    const attempts: [MutationName, Record<string, unknown>][] = [
      ['updateWorkflow', { input: { id: b.workflowId, name: 'Mine now' } }],
      ['deleteWorkflow', { id: b.workflowId }],
      ['publishWorkflow', { workflowId: b.workflowId }],
      ['addWaitStep', { input: { workflowId: b.workflowId, seconds: 5 } }],
      [
        'addSendMessageStep',
        { input: { workflowId: b.workflowId, config: textConfig(aLibrary.sms.id) } },
      ],
      ['updateSendMessageStep', { input: { stepId: b.stepId, name: 'Mine now' } }],
      ['updateWaitStep', { input: { stepId: b.waitId, seconds: 1 } }],
      ['connectSteps', { stepId: b.stepId, nextStepId: null }],
      ['deleteStep', { stepId: b.waitId }],
      ['setEntryStep', { workflowId: b.workflowId, stepId: b.waitId }],
    ];
    for (const [name, variables] of attempts) {
      const result = await a.run(name, variables);
      expect(result.__typename, name).toBe('NotFoundError');
    }

    expect(await rowCounts(api.db, workspaceIds)).toEqual(before);
    const [workflowAfter] = await api.db
      .select()
      .from(workflows)
      .where(eq(workflows.id, b.workflowId));
    expect(workflowAfter).toEqual(workflowBefore);
    expect(await api.db.select().from(steps).where(eq(steps.workflowId, b.workflowId))).toEqual(
      stepsBefore,
    );
  });

  it("cannot point its own steps at B's channels, files, snippets or steps", async () => {
    const before = await rowCounts(api.db, workspaceIds);
    const cases: [Record<string, unknown>, string][] = [
      [{ config: textConfig(bLibrary.sms.id) }, 'CHANNEL_NOT_FOUND'],
      [
        {
          config: {
            ...textConfig(aLibrary.sms.id),
            channelResponses: [{ channelId: bLibrary.telegram.id, text: 'Hi' }],
          },
        },
        'CHANNEL_NOT_FOUND',
      ],
      [
        {
          config: {
            channel: { kind: 'LAST_INTERACTED' },
            defaultMessage: { media: { fileId: bLibrary.file.id } },
          },
        },
        'UNKNOWN_FILE',
      ],
      [{ config: textConfig(aLibrary.sms.id, 'Hi $snippet.b_only') }, 'UNKNOWN_SNIPPET'],
      [{ config: textConfig(aLibrary.sms.id), nextStepId: b.stepId }, 'STEP_NOT_IN_WORKFLOW'],
      [
        {
          config: { ...textConfig(aLibrary.sms.id), failureBranchEnabled: true },
          failureStepId: b.stepId,
        },
        'FAILURE_TARGET_INVALID',
      ],
    ];
    for (const [input, code] of cases) {
      const added = await a.run('addSendMessageStep', {
        input: { workflowId: aWorkflowId, ...input },
      });
      expect(
        added.issues?.map((issue) => issue.code),
        code,
      ).toEqual([code]);
      const updated = await a.run('updateSendMessageStep', {
        input: { stepId: aStepId, ...input },
      });
      expect(
        updated.issues?.map((issue) => issue.code),
        code,
      ).toEqual([code]);
    }
    const connected = await a.run('connectSteps', { stepId: aStepId, nextStepId: b.stepId });
    expect(connected.issues?.map((issue) => issue.code)).toEqual(['STEP_NOT_IN_WORKFLOW']);
    expect(await rowCounts(api.db, workspaceIds)).toEqual(before);
  });

  it("reads null for a B channel or file that ended up in A's stored config", async () => {
    // The API never stores such a config; a row written another way must still not leak B's data.
    await api.db
      .update(steps)
      .set({
        config: {
          channel: { kind: 'specific', channelId: bLibrary.sms.id },
          defaultMessage: { type: 'media', fileId: bLibrary.file.id },
          channelResponses: [],
          failureBranchEnabled: false,
        },
      })
      .where(eq(steps.id, aStepId));
    const response = await api.gql(
      aReadKey,
      /* GraphQL */ `
        query ($id: ID!) {
          workflow(id: $id) {
            steps {
              ... on SendMessageStep {
                config {
                  channel { kind channelId channel { id name } }
                  defaultMessage { ... on MediaMessage { fileId file { id name } } }
                }
              }
            }
          }
        }
      `,
      { id: aWorkflowId },
    );
    expect(response.errors).toBeUndefined();
    const [step] = response.data.workflow.steps;
    expect(step.config.channel).toEqual({
      kind: 'SPECIFIC',
      channelId: bLibrary.sms.id,
      channel: null,
    });
    expect(step.config.defaultMessage).toMatchObject({ fileId: bLibrary.file.id, file: null });
  });
});
