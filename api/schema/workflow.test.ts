import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { steps } from '../../db/schema';
import { type TestWorkspace, useTestApi } from '../test-support';
import {
  DOCUMENTS,
  rowCounts,
  seedLibrary,
  textConfig,
  workflowClient,
} from '../workflows/test-fixtures';

const api = useTestApi();
let workspace: TestWorkspace;
let client: ReturnType<typeof workflowClient>;

const LIST = /* GraphQL */ `
  query ($first: Int, $after: String, $filter: WorkflowFilter) {
    workflows(first: $first, after: $after, filter: $filter) {
      nodes { id name status }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

beforeAll(async () => {
  workspace = await api.createWorkspace();
  client = workflowClient(api, workspace.apiKey);
});

async function list(variables: Record<string, unknown>, key: string) {
  const response = await api.gql(key, LIST, variables);
  expect(response.errors).toBeUndefined();
  return response.data.workflows;
}

describe('workflow mutations', () => {
  it('creates, renames and deletes a workflow with its steps', async () => {
    const created = await client.ok('createWorkflow', {
      input: { name: '  Onboarding  ', description: 'First week' },
    });
    expect(created).toMatchObject({
      name: 'Onboarding',
      description: 'First week',
      status: 'DRAFT',
      stepCount: 0,
      steps: [],
      entryStep: null,
      publishedVersion: null,
    });

    const renamed = await client.ok('updateWorkflow', {
      input: { id: created.id, name: 'Onboarding v2' },
    });
    expect(renamed).toMatchObject({ name: 'Onboarding v2', description: 'First week' });
    const cleared = await client.ok('updateWorkflow', {
      input: { id: created.id, description: null },
    });
    expect(cleared).toMatchObject({ name: 'Onboarding v2', description: null });

    const library = await seedLibrary(api.db, workspace.workspaceId);
    const step = await client.ok('addSendMessageStep', {
      input: { workflowId: created.id, config: textConfig(library.sms.id) },
    });
    expect(await client.ok('deleteWorkflow', { id: created.id })).toBe(created.id);
    expect(await client.workflow(created.id)).toBeNull();
    expect(await api.db.select().from(steps).where(eq(steps.id, step.id))).toEqual([]);
  });

  it('rejects a blank name and writes nothing', async () => {
    const before = await rowCounts(api.db, [workspace.workspaceId]);
    const result = await client.run('createWorkflow', { input: { name: '   ' } });
    expect(result).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'name' }],
    });
    expect(await rowCounts(api.db, [workspace.workspaceId])).toEqual(before);
  });

  it('reports unknown workflows as NotFoundError', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expect((await client.run('updateWorkflow', { input: { id, name: 'x' } })).__typename).toBe(
        'NotFoundError',
      );
      expect((await client.run('deleteWorkflow', { id })).__typename).toBe('NotFoundError');
      expect(await client.workflow(id)).toBeNull();
    }
  });

  it('lets a read-only key query workflows but not change them', async () => {
    const readKey = await api.createKey(workspace.workspaceId, ['read']);
    const workflow = await client.createWorkflow('Read only');
    const reader = workflowClient(api, readKey);
    expect((await reader.workflow(workflow.id)).name).toBe('Read only');

    const before = await rowCounts(api.db, [workspace.workspaceId]);
    const attempts = [
      ['createWorkflow', { input: { name: 'Nope' } }],
      ['updateWorkflow', { input: { id: workflow.id, name: 'Nope' } }],
      ['deleteWorkflow', { id: workflow.id }],
      ['addWaitStep', { input: { workflowId: workflow.id, seconds: 5 } }],
      ['publishWorkflow', { workflowId: workflow.id }],
    ] as const;
    for (const [name, variables] of attempts) {
      const response = await api.gql(readKey, DOCUMENTS[name], variables);
      expect(response.errors?.[0]?.extensions?.code, name).toBe('FORBIDDEN');
      expect(response.data?.result ?? null).toBeNull();
    }
    expect(await rowCounts(api.db, [workspace.workspaceId])).toEqual(before);
    expect((await client.workflow(workflow.id)).name).toBe('Read only');
  });
});

describe('workflows query', () => {
  // A workspace of its own, so that the other tests' workflows do not show up in the lists.
  let listing: TestWorkspace;
  const ids: string[] = [];

  beforeAll(async () => {
    listing = await api.createWorkspace();
    const owner = workflowClient(api, listing.apiKey);
    const library = await seedLibrary(api.db, listing.workspaceId);
    for (const name of ['Welcome 100%', 'Re-engage', 'Welcome back', 'Birthday', 'Cart_reminder']) {
      ids.push((await owner.createWorkflow(name)).id);
    }
    await owner.ok('addSendMessageStep', {
      input: { workflowId: ids[3], config: textConfig(library.sms.id) },
    });
    await owner.ok('publishWorkflow', { workflowId: ids[3] });
  });

  it('pages through every workflow oldest first with cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await list({ first: 2, after }, listing.apiKey);
      seen.push(...page.nodes.map((node: { id: string }) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
  });

  it('filters by search text (wildcards taken literally) and by status', async () => {
    const names = async (filter: Record<string, unknown>) =>
      (await list({ filter }, listing.apiKey)).nodes.map((node: { name: string }) => node.name);
    expect(await names({ search: 'welcome' })).toEqual(['Welcome 100%', 'Welcome back']);
    expect(await names({ search: '100%' })).toEqual(['Welcome 100%']);
    expect(await names({ search: 't_r' })).toEqual(['Cart_reminder']);
    expect(await names({ status: 'PUBLISHED' })).toEqual(['Birthday']);
    expect(await names({ status: 'DRAFT', search: 'e' })).toEqual([
      'Welcome 100%',
      'Re-engage',
      'Welcome back',
      'Cart_reminder',
    ]);
  });
});
