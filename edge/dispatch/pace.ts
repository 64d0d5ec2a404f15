import { type SendRate, sendRateInEffect } from '../../workflow/send-rate';
import { integrationFor, providerOf } from '../channels/registry';
import { log } from '../log';
import type { SendPacer } from '../pacing/client';
import type { SendWork } from './attempt';
import type { ClaimedDelivery } from './claim';
import type { DispatchChannel, DispatchLibrary } from './library';

/** A claimed send that must wait for its channel's pace, and how long. */
export interface DeferredSend<T> {
  send: T;
  delaySeconds: number;
  /** It holds a reserved slot: when it comes back it goes without asking again. */
  reserved: boolean;
}

/** The batch's claimed sends split into those that go now and those that wait. */
export interface PacedSends<T> {
  now: T[];
  deferred: DeferredSend<T>[];
}

/**
 * Asks each channel's pacer (edge/pacing) for the batch's sends on it, so that no channel sends
 * faster than its rate in effect (workflow/send-rate.ts) across every consumer of every
 * dispatch shard: one request per channel with a rate, all at once, and none for channels
 * without one (email, custom webhooks, Twilio), for sends whose attempt already holds a slot, or for
 * sends that will fail before any provider is called (a channel gone or disconnected). The
 * sends a slot lets go now go; the others wait, with their slot, for as long as it says.
 *
 * A pacer that cannot be reached lets the batch go unpaced (logged): the provider's own
 * rate-limit answers are still retried with backoff, as before pacing existed.
 */
export async function paceSends<T extends { work: SendWork; claim: ClaimedDelivery }>(
  sends: readonly T[],
  library: DispatchLibrary,
  pacer: SendPacer | undefined,
): Promise<PacedSends<T>> {
  const paced: PacedSends<T> = { now: [], deferred: [] };
  const byChannel = new Map<string, { perSecond: number; sends: T[] }>();
  for (const send of sends) {
    const holdsSlot = send.work.paced === send.claim.attempts;
    const channel = pacer && !holdsSlot ? channelOf(send.work, library) : undefined;
    const perSecond = channel ? rateOf(channel) : null;
    if (!channel || perSecond === null) {
      paced.now.push(send);
      continue;
    }
    const group = byChannel.get(channel.id) ?? { perSecond, sends: [] };
    group.sends.push(send);
    byChannel.set(channel.id, group);
  }
  await Promise.all(
    [...byChannel].map(async function reserve([channelId, group]) {
      try {
        const { delaysMs, reserved } = await pacer!.reserve(
          channelId,
          group.sends.length,
          group.perSecond,
        );
        group.sends.forEach((send, index) => {
          const delayMs = delaysMs[index] ?? 0;
          if (delayMs <= 0) paced.now.push(send);
          else
            paced.deferred.push({
              send,
              delaySeconds: Math.ceil(delayMs / 1000),
              reserved: index < reserved,
            });
        });
      } catch (error) {
        log('warn', 'dispatch: pacing a channel failed; its sends go unpaced', {
          channelId,
          sends: group.sends.length,
          error,
        });
        paced.now.push(...group.sends);
      }
    }),
  );
  return paced;
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
