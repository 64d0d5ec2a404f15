/**
 * How the Worker talks to the EventHub (edge/events/hub.ts). The hub is reachable only through
 * its namespace binding, never from the internet, so the principal header the Worker sets after
 * authenticating the API key can be trusted there.
 */

/** Where the pipeline posts the events it committed (a JSON array of LoggedEvent). */
export const PUBLISH_PATH = '/publish';
/** The GraphQL-over-SSE endpoint, the same path on the Worker and in the hub. */
export const STREAM_PATH = '/graphql/stream';
/** The authenticated principal (workspace, key, scopes) as JSON. */
export const PRINCIPAL_HEADER = 'x-sendflow-principal';
/** The origin of requests the Worker makes to the hub (any name: the stub routes them). */
export const HUB_ORIGIN = 'https://event-hub.internal';
