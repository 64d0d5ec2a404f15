import { type SendRate, sendRateInEffect } from '../../workflow/send-rate';
import { integrationFor, providerOf } from '../channels/registry';
import { log } from '../log';
import type { SendPacer } from '../pacing/client';
import type { SendWork } from './attempt';
import type { ClaimedDelivery } from './claim';
import type { DispatchChannel, DispatchLibrary } from './library';

/**
 * Longest a send waits for its slot inside its batch (a timer before its provider call); a
 * later slot waits on the queue, and the message that brings the send back carries the slot's
 * exact time (`DispatchMessage.slot`). The queue's delays are whole seconds and its consumer
 * may hold a message up to `max_batch_timeout` (1 s, wrangler.toml) more, so the message is
 * delayed a whole second less than its slot is away, and waits out the rest here: back late,
 * it would go at once, together with the sends of the slots after its own.
 */
export const MAX_INLINE_WAIT_MS = 2_000;
/** How much earlier than its slot a deferred send is due back (the queue's batch timeout). */
const QUEUE_BATCH_TIMEOUT_SECONDS = 1;

/** A claimed send that goes in this batch, not before `notBeforeMs` (epoch ms). */
export interface ReadySend<T> {
  send: T;
  notBeforeMs: number;
}

/** A claimed send that must wait for its channel's pace on the queue. */
export interface DeferredSend<T> {
  send: T;
  delaySeconds: number;
  /** Its reserved slot (epoch ms); null when it got none (beyond the pacer's horizon). */
  slotAtMs: number | null;
}

/** The batch's claimed sends: those that go in this batch (in slot order), and those that wait. */
export interface PacedSends<T> {
  now: ReadySend<T>[];
  deferred: DeferredSend<T>[];
}

/**
 * Asks each channel's pacer (edge/pacing) for the batch's sends on it, so that no channel sends
 * faster than its rate in effect (workflow/send-rate.ts) across every consumer of every
 * dispatch shard: one request per channel with a rate, all at once, and none for channels
 * without one (email, custom webhooks, Twilio), for sends whose attempt already holds a slot,
 * or for sends that will fail before any provider is called (a channel gone or disconnected).
 * A send whose slot is at most MAX_INLINE_WAIT_MS away goes in this batch at its slot; the
 * others wait on the queue with their slot. `nowMs` is the consumer's clock when it asks.
 *
 * A pacer that cannot be reached lets the batch go unpaced (logged): the provider's own
 * rate-limit answers are still retried with backoff, as before pacing existed.
 */
export async function paceSends<T extends { work: SendWork; claim: ClaimedDelivery }>(
  sends: readonly T[],
  library: DispatchLibrary,
  pacer: SendPacer | undefined,
  nowMs: number,
): Promise<PacedSends<T>> {
  const paced: PacedSends<T> = { now: [], deferred: [] };
  const at = (send: T, slotAtMs: number, reserved: boolean) => {
    const waitMs = slotAtMs - nowMs;
    if (waitMs <= MAX_INLINE_WAIT_MS) paced.now.push({ send, notBeforeMs: slotAtMs });
    else
      paced.deferred.push({
        send,
        // A reserved slot's message comes back early and waits out the rest here; one without
        // a slot comes back when it may ask again.
        delaySeconds: reserved
          ? Math.floor(waitMs / 1000) - QUEUE_BATCH_TIMEOUT_SECONDS
          : Math.ceil(waitMs / 1000),
        slotAtMs: reserved ? slotAtMs : null,
      });
  };
  const byChannel = new Map<string, { perSecond: number; sends: T[] }>();
  for (const send of sends) {
    const { slot } = send.work;
    if (slot && slot.attempt === send.claim.attempts) {
      at(send, slot.atMs, true);
      continue;
    }
    const channel = pacer ? channelOf(send.work, library) : undefined;
    const perSecond = channel ? rateOf(channel) : null;
    if (!channel || perSecond === null) {
      paced.now.push({ send, notBeforeMs: 0 });
      continue;
    }
    const group = byChannel.get(channel.id) ?? { perSecond, sends: [] };
    group.sends.push(send);
    byChannel.set(channel.id, group);
  }
  await Promise.all(
    [...byChannel].map(async function reserve([channelId, group]) {
      try {
        const { slotsAtMs, reserved } = await pacer!.reserve(
          channelId,
          group.sends.length,
          group.perSecond,
        );
        group.sends.forEach((send, index) => {
          at(send, slotsAtMs[index] ?? nowMs, index < reserved);
        });
      } catch (error) {
        log('warn', 'dispatch: pacing a channel failed; its sends go unpaced', {
          channelId,
          sends: group.sends.length,
          error,
        });
        for (const send of group.sends) paced.now.push({ send, notBeforeMs: 0 });
      }
    }),
  );
  // Earliest slots first: the sends run a few at a time, in this order.
  paced.now.sort((a, b) => a.notBeforeMs - b.notBeforeMs);
  return paced;
}

/** Waits until `notBeforeMs` (epoch ms), if it is still ahead. */
export async function untilSlot(notBeforeMs: number): Promise<void> {
  const waitMs = notBeforeMs - Date.now();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
}

/** The connected channel a send goes to (its step's, or its pinned Last Interacted one). */
function channelOf(work: SendWork, library: DispatchLibrary): DispatchChannel | undefined {
  const selector = work.step.config.channel;
  const channelId =
    selector.kind === 'specific' ? selector.channelId : work.run.contact.lastInteractedChannelId;
  const channel = channelId ? library.channels.get(channelId) : undefined;
  if (!channel || channel.workspaceId !== work.run.workspaceId) return undefined;
  return channel.status === 'connected' ? channel : undefined;
}

/** The channel's rate in effect: its own, else its integration's documented one. */
function rateOf(channel: DispatchChannel): number | null {
  const integrationDefault: SendRate | undefined = integrationFor(channel.type, providerOf(channel))
    ?.definition.sendRate;
  return sendRateInEffect(channel.maxMessagesPerSecond, integrationDefault);
}
