/**
 * The GraphQL mutations benchmarks seed through: the same operations a frontend sends, so a
 * seeded workflow went through the API's validation exactly as a real one does. Each aliases
 * its field to `result` and selects the success data and the typed errors (see graphql.ts).
 */

// Every typed error implements the `Error` interface: enough to say why seeding failed.
const ERRORS = /* GraphQL */ `
  ... on Error { __typename message }
`;

export const CREATE_WORKFLOW = /* GraphQL */ `
  mutation ($input: CreateWorkflowInput!) {
    result: createWorkflow(input: $input) {
      __typename
      ... on MutationCreateWorkflowSuccess { data { id } }
      ${ERRORS}
    }
  }
`;

export const ADD_SEND_MESSAGE_STEP = /* GraphQL */ `
  mutation ($input: AddSendMessageStepInput!) {
    result: addSendMessageStep(input: $input) {
      __typename
      ... on MutationAddSendMessageStepSuccess { data { id } }
      ${ERRORS}
    }
  }
`;

export const CONNECT_STEPS = /* GraphQL */ `
  mutation ($stepId: ID!, $nextStepId: ID) {
    result: connectSteps(stepId: $stepId, nextStepId: $nextStepId) {
      __typename
      ... on MutationConnectStepsSuccess { data { id } }
      ${ERRORS}
    }
  }
`;

export const PUBLISH_WORKFLOW = /* GraphQL */ `
  mutation ($workflowId: ID!) {
    result: publishWorkflow(workflowId: $workflowId) {
      __typename
      ... on MutationPublishWorkflowSuccess { data { version { id version } } }
      ... on PublishRejected { report { errors { code path message } } }
      ${ERRORS}
    }
  }
`;

export const START_WORKFLOW = /* GraphQL */ `
  mutation ($input: StartWorkflowInput!) {
    result: startWorkflow(input: $input) {
      __typename
      ... on MutationStartWorkflowSuccess { data { runCount } }
      ${ERRORS}
    }
  }
`;

export const CREATE_CHANNEL = /* GraphQL */ `
  mutation ($input: CreateChannelInput!) {
    result: createChannel(input: $input) {
      __typename
      ... on MutationCreateChannelSuccess { data { id } }
      ${ERRORS}
    }
  }
`;
