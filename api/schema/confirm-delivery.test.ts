import { describe, expect, it } from 'vitest';
import { useTestApi } from '../test-support';
import { seedLibrary, textConfig, workflowClient } from '../workflows/test-fixtures';

const api = useTestApi();

const READ_BACK = /* GraphQL */ `
  query ($id: ID!) {
    workflow(id: $id) {
      steps { ... on SendMessageStep { config { confirmDelivery { timeoutMinutes } failureBranchEnabled } } }
    }
  }
`;

describe('confirm delivery on a Send a Message step', () => {
  it('is off unless set, and reads back as saved', async () => {
    const ws = await api.createWorkspace();
    const library = await seedLibrary(api.db, ws.workspaceId);
    const client = workflowClient(api, ws.apiKey);
    const workflow = await client.createWorkflow();
    await client.ok('addSendMessageStep', {
      input: { workflowId: workflow.id, config: textConfig(library.whatsapp.id) },
    });
    await client.ok('addSendMessageStep', {
      input: {
        workflowId: workflow.id,
        config: { ...textConfig(library.whatsapp.id), confirmDelivery: { timeoutMinutes: 30 } },
      },
    });
    const read = await api.gql(ws.apiKey, READ_BACK, { id: workflow.id });
    expect(read.data.workflow.steps.map((step: { config: unknown }) => step.config)).toEqual([
      { confirmDelivery: null, failureBranchEnabled: false },
      { confirmDelivery: { timeoutMinutes: 30 }, failureBranchEnabled: false },
    ]);
  });

  it('waits a whole number of minutes from 1 to 720', async () => {
    const ws = await api.createWorkspace();
    const library = await seedLibrary(api.db, ws.workspaceId);
    const client = workflowClient(api, ws.apiKey);
    const workflow = await client.createWorkflow();
    for (const timeoutMinutes of [0, 721, -5]) {
      const result = await client.run('addSendMessageStep', {
        input: {
          workflowId: workflow.id,
          config: { ...textConfig(library.whatsapp.id), confirmDelivery: { timeoutMinutes } },
        },
      });
      expect(result.issues, String(timeoutMinutes)).toEqual([
        expect.objectContaining({
          code: 'INVALID_VALUE',
          path: 'config.confirmDelivery.timeoutMinutes',
        }),
      ]);
    }
  });
});
