import type { MediaReader } from '../channels/types';
import type { MediaBucket } from '../media/bucket';
import { MediaLinkSigner } from '../media/signed-link';
import type { Config, Env } from './env';

/** What sends need for uploads: a reader of the media bucket, and links at PUBLIC_URL. */
export interface MediaRuntime {
  media?: MediaReader;
  mediaLinks?: MediaLinkSigner;
}

/** Reads whole objects from the media bucket. */
export function bucketReader(bucket: MediaBucket): MediaReader {
  return {
    async read(storageKey) {
      const object = await bucket.get(storageKey);
      if (!object?.arrayBuffer) return null;
      return new Uint8Array(await object.arrayBuffer());
    },
  };
}

/**
 * The media side of the send runtime from the bindings: the bucket reader when MEDIA_BUCKET is
 * bound, and the link signer when PUBLIC_URL is set (a queue consumer has no request to take
 * an origin from, so links to uploads need it).
 */
export function mediaRuntime(env: Env, config: Config): MediaRuntime {
  const bucket = env.MEDIA_BUCKET as MediaBucket | undefined;
  return {
    ...(bucket ? { media: bucketReader(bucket) } : {}),
    ...(config.publicUrl
      ? { mediaLinks: new MediaLinkSigner(config.credentialsKey, config.publicUrl) }
      : {}),
  };
}
