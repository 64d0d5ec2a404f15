/**
 * What a workflow list screen may ask for: every workflow field, every step with every field of
 * its config (`$first` workflows). The cost model is calibrated against it (query-cost.test.ts).
 */
export const FULL_WORKFLOW_LISTING = /* GraphQL */ `
  fragment ChannelFields on Channel { id name type provider status statusDetail hasCredentials credentialsHint }
  fragment Content on MessageContent {
    __typename
    ... on TextMessage { text }
    ... on MediaMessage { fileId caption file { id name contentType url } }
    ... on WhatsAppTemplateMessage { templateName languageCode parameters }
    ... on MessengerTaggedMessage { tag text }
  }
  query ($first: Int!) {
    workflows(first: $first) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id name description status hasUnpublishedChanges stepCount createdAt updatedAt
        entryStep { id }
        publishedVersion { id version publishedAt stepCount }
        steps {
          id name type position nextStepId failureStepId createdAt updatedAt
          ... on WaitStep { seconds }
          ... on SendMessageStep {
            config {
              channel { kind channelId channel { ...ChannelFields } }
              defaultMessage {
                __typename
                ... on TextMessage { text }
                ... on MediaMessage { fileId caption file { id name contentType url } }
              }
              channelResponses { channelId channel { ...ChannelFields } content { ...Content } }
              email {
                subject
                body { type level ordered spans { text bold italic underline link } items { text bold italic underline link } }
              }
              failureBranchEnabled
              confirmDelivery { timeoutMinutes }
            }
          }
        }
      }
    }
  }
`;
