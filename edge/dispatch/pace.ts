import { type SendRate, sendRateInEffect } from '../../workflow/send-rate';
import { integrationFor, providerOf } from '../channels/registry';
import { log } from '../log';
import type { SendPacer } from '../pacing/client';
import { MAX_INLINE_WAIT_MS } from '../pacing/schedule';
import type { SendWork } from './attempt';
import type { ClaimedDelivery } from './claim';
import type { DispatchChannel, DispatchLibrary } from './library';

/**
 * Longest a batch waits for a pacer's answer before its sends on that channel go unpaced. The
 * batch's claims are not renewed until its sends start (their lease is CLAIM_LEASE_SECONDS), so
 * a pacer that never answers must not hold them: a late answer is dropped (its slots stay
 * unused), and nothing is sent twice.
 */
export const PACER_TIMEOUT_MS = 5_000;
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
  /** The channel's rate the slot was reserved at (its message carries it back). */
  perSecond: number;
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
 * without one (email, custom webhooks, Twilio), for sends whose attempt already holds a slot at
 * the channel's rate, or for sends that will fail before any provider is called (a channel gone
 * or disconnected).
 * A send whose slot is at most MAX_INLINE_WAIT_MS away goes in this batch at its slot; the
 * others wait on the queue with their slot. `nowMs` is the consumer's clock when it asks; a
 * reserved slot's wait counts from when the pacer's answer came (`nowMs` plus the time the
 * request took), so a slow answer neither holds a due send back for the queue nor delays a
 * deferred one's message past its slot.
 *
 * A pacer that cannot be reached lets the batch go unpaced (logged): the provider's own
 * rate-limit answers are still retried with backoff, as before pacing existed.
 */
export async function paceSends<T extends { work: SendWork; claim: ClaimedDelivery }>(
  sends: readonly T[],
  library: DispatchLibrary,
  pacer: SendPacer | undefined,
  nowMs: number,
  timeoutMs = PACER_TIMEOUT_MS,
): Promise<PacedSends<T>> {
  const paced: PacedSends<T> = { now: [], deferred: [] };
  const at = (
    send: T,
    slotAtMs: number,
    reserved: boolean,
    perSecond: number,
    answeredAtMs = nowMs,
  ) => {
    const waitMs = slotAtMs - answeredAtMs;
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
        perSecond,
      });
  };
  const byChannel = new Map<string, { perSecond: number; sends: T[] }>();
  for (const send of sends) {
    const channel = pacer ? channelOf(send.work, library) : undefined;
    const perSecond = channel ? rateOf(channel) : null;
    // A send that will fail before its provider is called (channel gone or disconnected), or
    // whose channel is no longer paced, does not wait for a slot it may still hold.
    if (!channel || perSecond === null) {
      paced.now.push({ send, notBeforeMs: 0 });
      continue;
    }
    const { slot } = send.work;
    // The slot is this attempt's, at the channel's rate (a slot reserved before the rate
    // changed asks again: the pacer spaced it at the old rate). A slot from before slots named
    // their rate is kept.
    if (
      slot &&
      slot.attempt === send.claim.attempts &&
      (slot.perSecond === undefined || slot.perSecond === perSecond)
    ) {
      at(send, slot.atMs, true, perSecond);
      continue;
    }
    const group = byChannel.get(channel.id) ?? { perSecond, sends: [] };
    group.sends.push(send);
    byChannel.set(channel.id, group);
  }
  await Promise.all(
    [...byChannel].map(async function reserve([channelId, group]) {
      try {
        const askedAtMs = Date.now();
        const { slotsAtMs, reserved } = await withTimeout(
          pacer!.reserve(channelId, group.sends.length, group.perSecond),
          timeoutMs,
        );
        const answeredAtMs = nowMs + Math.max(0, Date.now() - askedAtMs);
        group.sends.forEach((send, index) => {
          at(
            send,
            slotsAtMs[index] ?? answeredAtMs,
            index < reserved,
            group.perSecond,
            answeredAtMs,
          );
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

/** `promise`'s outcome, or a rejection once `timeoutMs` passed without one. */
async function withTimeout<V>(promise: Promise<V>, timeoutMs: number): Promise<V> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`ChannelPacer did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
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
