import type { Database } from '../db/client';
import type { CredentialCipher } from '../db/credentials';
import type { ProviderEndpoints } from '../edge/channels/types';
import type { MediaBucket, MediaLinkSigner } from '../edge/media';
import type {
  DispatchSender,
  EventPublisher,
  LiveEvents,
  SegmentChunkSender,
  WebhookQueue,
} from '../edge/pipeline';

/** What an API key may do: `admin` reads and writes; `read` (partners) only reads. */
export type Scope = 'admin' | 'read';

/** Per-request GraphQL context: everything a resolver needs, scoped to one workspace. */
export interface ApiContext {
  db: Database;
  workspaceId: string;
  apiKeyId: string;
  scopes: ReadonlySet<Scope>;
  credentials: CredentialCipher;
  /**
   * Whether channels may point at loopback and private addresses (local development only);
   * the same rule the adapters apply at send time (edge/security/outbound-url.ts).
   */
  allowPrivateUrls: boolean;
  /** The dispatch queue; absent where nothing consumes it (the sweep enqueues later). */
  dispatch?: DispatchSender;
  /** The segments queue: a segment start's first chunk goes there (edge/segments). */
  segments?: SegmentChunkSender;
  /** Where partner events the API logs (run.started) are published; absent in plain tests. */
  events?: EventPublisher;
  /** The webhook queue: replays are enqueued there (absent, the cron sweep enqueues them). */
  webhookQueue?: WebhookQueue;
  /** The workspace's live events: present only on the SSE endpoint, served by its EventHub. */
  liveEvents?: LiveEvents;
  /** Provider API base URLs from the env (`GRAPH_API_URL`…); absent ones are the real hosts. */
  providerEndpoints: ProviderEndpoints;
  /** Where providers reach this deployment: the origin of callback URLs. */
  publicOrigin: string;
  /** The bucket uploaded files go to (the Worker's R2 binding); absent, uploads are refused. */
  mediaBucket?: MediaBucket;
  /** Signs links to uploaded files (at `publicOrigin`). */
  mediaLinks: MediaLinkSigner;
}
