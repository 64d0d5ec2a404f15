import { beforeAll, describe, expect, it } from 'vitest';
import { type Json, type TestWorkspace, useTestApi } from './test-support';

/**
 * Names are shown on one line: control characters (tabs and line breaks included) and
 * bidirectional embeddings, overrides and isolates are refused at the name's field, and nothing
 * is written (workflow/display-name.ts). Message texts keep their line breaks.
 */

const api = useTestApi();
let owner: TestWorkspace;
let ids: { workflow: string; step: string; channel: string; contact: string };

const REFUSAL = '__typename ... on ValidationError { issues { code path } }';

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Json> {
  const result = await api.gql(owner.apiKey, query, variables);
  expect(result.errors, query).toBeUndefined();
  return Object.values(result.data)[0];
}

/** What every named row of the workspace reads as, to show a refusal changed nothing. */
function snapshot(): Promise<Json> {
  return api
    .gql(
      owner.apiKey,
      `query ($w: ID!, $c: ID!) {
        workspace { name }
        apiKeys { name }
        workflows { nodes { id name steps { id name } } }
        channels { nodes { id name } }
        contact(id: $c) { firstName lastName }
        w: workflow(id: $w) { name }
      }`,
      { w: ids.workflow, c: ids.contact },
    )
    .then((result) => result.data);
}

beforeAll(async () => {
  owner = await api.createWorkspace('Owner');
  const workflow = await gql(
    `mutation { createWorkflow(input: { name: "Welcome" }) { ... on MutationCreateWorkflowSuccess { data { id } } } }`,
  );
  const step = await gql(
    'mutation ($w: ID!) { addWaitStep(input: { workflowId: $w, seconds: 60, name: "Pause" }) { ... on MutationAddWaitStepSuccess { data { id } } } }',
    { w: workflow.data.id },
  );
  const contact = await gql(
    'mutation { createContact(input: { firstName: "Ada", lastName: "Lovelace" }) { ... on MutationCreateContactSuccess { data { id } } } }',
  );
  ids = {
    workflow: workflow.data.id,
    step: step.data.id,
    channel: await api.createChannel(owner.apiKey, 'EMAIL', 'Inbox'),
    contact: contact.data.id,
  };
});

// Each mutation takes `$name` at the field named by `path`.
const NAMED_FIELDS: {
  field: string;
  path: string;
  query: () => string;
  variables?: () => object;
}[] = [
  {
    field: 'createWorkflow',
    path: 'name',
    query: () =>
      `mutation ($name: String!) { createWorkflow(input: { name: $name }) { ${REFUSAL} } }`,
  },
  {
    field: 'updateWorkflow',
    path: 'name',
    query: () =>
      `mutation ($name: String, $id: ID!) { updateWorkflow(input: { id: $id, name: $name }) { ${REFUSAL} } }`,
    variables: () => ({ id: ids.workflow }),
  },
  {
    field: 'addWaitStep',
    path: 'name',
    query: () =>
      `mutation ($name: String, $w: ID!) { addWaitStep(input: { workflowId: $w, seconds: 5, name: $name }) { ${REFUSAL} } }`,
    variables: () => ({ w: ids.workflow }),
  },
  {
    field: 'updateWaitStep',
    path: 'name',
    query: () =>
      `mutation ($name: String, $s: ID!) { updateWaitStep(input: { stepId: $s, name: $name }) { ${REFUSAL} } }`,
    variables: () => ({ s: ids.step }),
  },
  {
    field: 'createChannel',
    path: 'name',
    query: () =>
      `mutation ($name: String!) { createChannel(input: { type: CUSTOM, name: $name, settings: { custom: { url: "https://hooks.example.com/m" } }, credentials: { custom: { signingSecret: "whsec_x" } } }) { ${REFUSAL} } }`,
  },
  {
    field: 'updateChannel',
    path: 'name',
    query: () =>
      `mutation ($name: String, $id: ID!) { updateChannel(id: $id, input: { name: $name }) { ${REFUSAL} } }`,
    variables: () => ({ id: ids.channel }),
  },
  {
    field: 'createContact',
    path: 'firstName',
    query: () =>
      `mutation ($name: String) { createContact(input: { firstName: $name }) { ${REFUSAL} } }`,
  },
  {
    field: 'updateContact',
    path: 'lastName',
    query: () =>
      `mutation ($name: String, $id: ID!) { updateContact(id: $id, input: { lastName: $name }) { ${REFUSAL} } }`,
    variables: () => ({ id: ids.contact }),
  },
  {
    field: 'createApiKey',
    path: 'name',
    query: () =>
      `mutation ($name: String!) { createApiKey(name: $name, scopes: [READ]) { ${REFUSAL} } }`,
  },
  {
    field: 'updateWorkspace',
    path: 'name',
    query: () =>
      `mutation ($name: String) { updateWorkspace(input: { name: $name }) { ${REFUSAL} } }`,
  },
];

const SPOOFS = {
  'right-to-left override': 'Refund\u202Elanigiro',
  'left-to-right embedding': '\u202AInvoice',
  'pop directional formatting': 'Invoice\u202C',
  'first strong isolate': 'Team \u2068A\u2069',
  'right-to-left isolate': '\u2067Team',
  tab: 'Welcome\tflow',
  'line feed': 'Welcome\nflow',
  'trailing line feed': 'Welcome\n',
  'carriage return': 'Welcome\r',
  bell: 'Welcome\u0007',
  delete: 'Welcome\u007F',
  'next line (C1)': 'Welcome\u0085flow',
  'C1 control': 'Welcome\u009B31m',
  'line separator': 'Welcome\u2028flow',
};

describe('names with control or bidirectional formatting characters', () => {
  it.each(NAMED_FIELDS)('$field refuses them at $path and writes nothing', async (named) => {
    const before = await snapshot();
    for (const [kind, name] of Object.entries(SPOOFS)) {
      const result = await gql(named.query(), { ...named.variables?.(), name });
      expect(result, `${named.field} with a ${kind}`).toEqual({
        __typename: 'ValidationError',
        issues: [{ code: 'INVALID_VALUE', path: named.path }],
      });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('keeps names in any script, with emoji, joiners and bidirectional marks', async () => {
    const names = ['Bienvenue à bord', 'مرحبا\u200F 2', 'שלום (Hello)', '👩‍👩‍👧 Family', 'Ünïcödé'];
    for (const name of names) {
      const result = await gql(
        'mutation ($name: String!) { createWorkflow(input: { name: $name }) { __typename ... on MutationCreateWorkflowSuccess { data { name } } } }',
        { name },
      );
      expect(result).toEqual({ __typename: 'MutationCreateWorkflowSuccess', data: { name } });
    }
  });

  it('leaves message texts their line breaks', async () => {
    const text = 'Hello,\n\nWelcome aboard.\tThanks!';
    const result = await gql(
      `mutation ($w: ID!, $ch: ID!, $text: String!) { addSendMessageStep(input: { workflowId: $w, name: "Greeting", config: { channel: { kind: SPECIFIC, channelId: $ch }, defaultMessage: { text: $text } } }) { __typename ... on MutationAddSendMessageStepSuccess { data { ... on SendMessageStep { config { defaultMessage { ... on TextMessage { text } } } } } } } }`,
      { w: ids.workflow, ch: ids.channel, text },
    );
    expect(result.data.config.defaultMessage.text).toBe(text);
  });
});
