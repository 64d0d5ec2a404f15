/**
 * Which dispatch shard (edge/dispatch/queues.ts) a run's messages go to: a hash of the run id
 * modulo the number of shards. Every message of one run then goes to one queue (its waits,
 * retries and next steps stay in order behind each other there), and runs spread evenly
 * whatever their ids look like (time-ordered ids share their leading characters, so the whole
 * id is hashed and the hash mixed before the modulo).
 *
 * Sharding by channel would let a per-channel rate limit live in one queue, but a "last
 * interacted" step's channel is only known when the message is dispatched, so the run is what
 * a message can be placed by (bench/README.md, "Capacity model").
 */
export function shardOf(runId: string, shards: number): number {
  if (shards <= 1) return 0;
  // FNV-1a over the id's characters, then murmur3's finalizer so that the low bits the modulo
  // keeps depend on every character.
  let hash = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) {
    hash = Math.imul(hash ^ runId.charCodeAt(i), 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % shards;
}
