import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApi } from '../test-support';
import { rowCounts, seedLibrary, workflowClient } from './test-fixtures';

const api = useTestApi();
let workspaceId: string;
let apiKey: string;
let client: ReturnType<typeof workflowClient>;
let library: Awaited<ReturnType<typeof seedLibrary>>;

beforeAll(async () => {
  const workspace = await api.createWorkspace();
  workspaceId = workspace.workspaceId;
  apiKey = workspace.apiKey;
  client = workflowClient(api, workspace.apiKey);
  library = await seedLibrary(api.db, workspaceId);
});

/** More values than one statement may bind (Postgres takes at most 65,535 parameters). */
const BEYOND_BIND_LIMIT = 70_000;

const ADD_STEP = `mutation ($input: AddSendMessageStepInput!) {
  addSendMessageStep(input: $input) {
    __typename
    ... on ValidationError { issues { code } }
  }
}`;

function distinctIds(count: number): string[] {
  return Array.from({ length: count }, () => crypto.randomUUID());
}

/** Adds a step with `config` over SMS; its answer must be a ValidationError, writing nothing. */
async function expectRefused(config: Record<string, unknown>, code: string) {
  const workflowId = (await client.createWorkflow()).id as string;
  const before = await rowCounts(api.db, [workspaceId]);
  const response = await api.gql(apiKey, ADD_STEP, {
    input: {
      workflowId,
      config: { channel: { kind: 'SPECIFIC', channelId: library.sms.id }, ...config },
    },
  });
  expect(response.status).toBe(200);
  expect(response.errors).toBeUndefined();
  const result = response.data.addSendMessageStep;
  expect(result.__typename).toBe('ValidationError');
  expect(result.issues.map((issue: { code: string }) => issue.code)).toContain(code);
  expect(await rowCounts(api.db, [workspaceId])).toEqual(before);
}

describe('a step naming more rows than one statement can bind', () => {
  it('refuses channel responses for unknown channels with their issues, not a 503 to retry', async () => {
    await expectRefused(
      {
        defaultMessage: { text: 'Hello' },
        channelResponses: distinctIds(BEYOND_BIND_LIMIT).map((channelId) => ({
          channelId,
          text: 'Hi',
        })),
      },
      'CHANNEL_NOT_FOUND',
    );
  });

  it('refuses template responses for unknown channels with their issues, not a 503 to retry', async () => {
    await expectRefused(
      {
        defaultMessage: { text: 'Hello' },
        channelResponses: distinctIds(BEYOND_BIND_LIMIT).map((channelId) => ({
          channelId,
          whatsappTemplate: { templateName: 'spring_offer', languageCode: 'en_US' },
        })),
      },
      'CHANNEL_NOT_FOUND',
    );
  });

  it('refuses a text naming unknown snippets with its issues, not a 503 to retry', async () => {
    const references = Array.from({ length: BEYOND_BIND_LIMIT }, (_, n) => `$snippet.s${n}`);
    await expectRefused({ defaultMessage: { text: references.join(' ') } }, 'UNKNOWN_SNIPPET');
  });
});
