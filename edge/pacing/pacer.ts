import type { DurableObjectState } from '@cloudflare/workers-types/latest';
import {
  PACER_STATE_KEY,
  parseReserveRequest,
  RESERVE_PATH,
  type ReserveResponse,
} from './protocol';
import { type PaceState, reserveSlots } from './schedule';

/**
 * The ChannelPacer: one Durable Object per channel (`idFromName(channelId)`), the one place
 * every dispatch consumer of every shard asks before sending on that channel, so that the
 * channel's rate holds across all of them (a queue consumer alone sees only its own batches).
 * It answers `POST /reserve` with the slot of each message asked for (./schedule.ts).
 *
 * The next slot is kept in the object's storage as well as in memory: an object evicted while
 * a campaign's reserved messages wait on the queue would otherwise forget them and let new
 * ones go at once, on top of them. A Durable Object handles one request at a time, and its
 * storage writes are confirmed before the answer leaves (output gates), so no two consumers
 * ever get the same slot.
 */
export class ChannelPacer {
  private state?: PaceState;

  constructor(private readonly ctx: DurableObjectState) {}

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== RESERVE_PATH || request.method !== 'POST') {
      return new Response('Not found', { status: 404 });
    }
    const asked = parseReserveRequest(await request.json().catch(() => null));
    if (!asked) return new Response('Bad reserve request', { status: 400 });
    this.state ??= (await this.ctx.storage.get<PaceState>(PACER_STATE_KEY)) ?? { nextSlotMs: 0 };
    const reservation = reserveSlots(this.state, asked.count, asked.perSecond, Date.now());
    // Kept in memory only once stored: a failed write answers an error (that batch goes
    // unpaced) and leaves memory as storage is, so the slots it did not hand out are not lost.
    await this.ctx.storage.put(PACER_STATE_KEY, reservation.state);
    this.state = reservation.state;
    const answer: ReserveResponse = {
      slotsAtMs: reservation.slotsAtMs,
      reserved: reservation.reserved,
    };
    return Response.json(answer);
  }
}
