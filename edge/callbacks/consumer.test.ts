import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../db/client';
import { CredentialCipher, generateCredentialsKey } from '../../db/credentials';
import { relations } from '../../db/relations';
import {
  channels,
  contactIdentities,
  contacts,
  deliveries,
  inboundMessages,
  runs,
} from '../../db/schema';
import type { ChannelEvent, InboundEvent, StatusEvent, WatermarkEvent } from '../channels/events';
import type { Settlement } from '../dispatch/attempt';
import type { DispatchRequest } from '../dispatch/message';
import {
  publishWorkflow,
  queueMessage,
  readRun,
  seedContact,
  seedRunAt,
  seedWorkspace,
  sendConfig,
} from '../dispatch/test-seed';
import type { LoggedEvent } from '../events/types';
import { consumeChannelEvents, MAX_STATUS_ATTEMPTS, STATUS_RETRY_SECONDS } from './consumer';
import { channelEventMessage } from './message';

/**
 * The callbacks consumer in Node against this run's Postgres, with a statement counter: what
 * inbound messages and statuses do to contacts, identities and deliveries, and at what cost.
 * The workerd test (whatsapp-flow.test.ts) runs the same code behind the real route and queue.
 */

let pool: pg.Pool;
let db: Database;
let statements = 0;
const enqueued: DispatchRequest[] = [];
/** Partner events the consumer published, in order. */
const published: LoggedEvent[] = [];
const cipher = new CredentialCipher(generateCredentialsKey());

beforeAll(() => {
  pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 4 });
  db = drizzle({
    client: pool,
    relations,
    logger: { logQuery: () => void statements++ },
  }) as unknown as Database;
});

afterAll(async () => {
  await pool?.end();
});

async function whatsappChannel(workspaceId: string): Promise<string> {
  const [row] = await db
    .insert(channels)
    .values({
      workspaceId,
      type: 'whatsapp',
      provider: 'meta',
      name: 'WhatsApp',
      settings: { phoneNumberId: '1', businessAccountId: '2' },
      credentialsCiphertext: await cipher.encrypt({ accessToken: 't', appSecret: 's' }),
    })
    .returning({ id: channels.id });
  return row!.id;
}

async function consume(events: ChannelEvent[], attempts = 1, deadLettered = false) {
  const messages = events.map((event, index) => ({
    ...queueMessage(channelEventMessage(event), index),
    attempts,
  }));
  statements = 0;
  const settlements = await consumeChannelEvents(messages, {
    db,
    sender: { send: async (requests) => void enqueued.push(...requests) },
    events: { publish: async (logged) => void published.push(...logged) },
    deadLettered,
  });
  return { statements, settlements: [...settlements.values()] as Settlement[] };
}

let sequence = 0;
function inbound(
  channelId: string,
  address: string,
  at: Date,
  name: string | null = 'Ada Byron',
): InboundEvent {
  sequence += 1;
  const id = `wamid.in.${sequence}`;
  return {
    kind: 'inbound',
    eventKey: id,
    channelId,
    providerMessageId: id,
    from: { address, name },
    at: at.toISOString(),
    content: { type: 'text', text: `message ${sequence}` },
  };
}

function status(
  channelId: string,
  providerMessageId: string,
  state: StatusEvent['status'],
  deliveryId: string | null = null,
  at: Date = new Date(),
): StatusEvent {
  return {
    kind: 'status',
    eventKey: `${providerMessageId}:${state}`,
    channelId,
    providerMessageId,
    deliveryId,
    status: state,
    at: at.toISOString(),
    failure:
      state === 'failed' ? { reason: 'recipient_unavailable', detail: 'error 131026' } : null,
  };
}

const hour = 3_600_000;

/** The partner events published about `deliveryId`, by type, in cursor order. */
function eventsAbout(deliveryId: string): string[] {
  return published
    .filter(
      (logged) => 'delivery' in logged.event.data && logged.event.data.delivery.id === deliveryId,
    )
    .sort((a, b) => a.cursor - b.cursor)
    .map((logged) => logged.event.type);
}

describe('inbound messages', () => {
  it('fifty messages from twenty new senders cost the same few statements as one', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const one = await consume([inbound(channelId, '+15550000001', new Date())]);
    const events = Array.from({ length: 50 }, (_, index) =>
      inbound(channelId, `+155500001${String(index % 20).padStart(2, '0')}`, new Date()),
    );
    const many = await consume(events);
    expect(many.statements).toBe(one.statements);
    expect(many.statements).toBeLessThanOrEqual(7);
    expect(await db.$count(contacts, eq(contacts.workspaceId, workspaceId))).toBe(21);
    expect(await db.$count(inboundMessages, eq(inboundMessages.channelId, channelId))).toBe(51);
  });

  it('a contact known by phone gets the identity instead of a twin, and keeps their name', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const known = await seedContact(db, workspaceId, { firstName: 'Grace', phone: '+15550001000' });
    await consume([inbound(channelId, '+15550001000', new Date(), 'Someone Else')]);
    const rows = await db.select().from(contacts).where(eq(contacts.workspaceId, workspaceId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: known,
      firstName: 'Grace',
      lastInteractedChannelId: channelId,
    });
    const [identity] = await db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.contactId, known));
    expect(identity).toMatchObject({ channelId, address: '+15550001000' });
  });

  it('the last interacted channel follows the most recent interaction, not the order of arrival', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const first = await whatsappChannel(workspaceId);
    const second = await whatsappChannel(workspaceId);
    const now = Date.now();
    await consume([inbound(second, '+15550002000', new Date(now - hour))]);
    // An older message on the first channel, delivered late, does not take over.
    await consume([inbound(first, '+15550002000', new Date(now - 2 * hour))]);
    const [contact] = await db.select().from(contacts).where(eq(contacts.workspaceId, workspaceId));
    expect(contact?.lastInteractedChannelId).toBe(second);
    // The window of each identity is its own latest inbound message.
    const windows = await db
      .select({ channelId: contactIdentities.channelId, at: contactIdentities.lastInboundAt })
      .from(contactIdentities)
      .where(eq(contactIdentities.contactId, contact!.id));
    expect(new Map(windows.map((w) => [w.channelId, w.at?.getTime()]))).toEqual(
      new Map([
        [first, now - 2 * hour],
        [second, now - hour],
      ]),
    );
  });

  it('a new person writing on two phone channels at once, to two consumers, becomes one contact', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { workspaceId } = await seedWorkspace(db);
      const first = await whatsappChannel(workspaceId);
      const second = await whatsappChannel(workspaceId);
      const address = `+1555000${String(6000 + round)}`;
      await Promise.all([
        consume([inbound(first, address, new Date())]),
        consume([inbound(second, address, new Date())]),
      ]);
      expect(await db.$count(contacts, eq(contacts.workspaceId, workspaceId))).toBe(1);
      expect(await db.$count(contactIdentities, eq(contactIdentities.address, address))).toBe(2);
    }
  });

  it('a new person writing on two phone channels in one batch becomes one contact, as across two batches', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const first = await whatsappChannel(workspaceId);
    const second = await whatsappChannel(workspaceId);
    const address = `+1555000${String(Date.now()).slice(-4)}`;
    await consume([inbound(first, address, new Date()), inbound(second, address, new Date())]);
    expect(await db.$count(contacts, eq(contacts.workspaceId, workspaceId))).toBe(1);
    const identities = await db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.address, address));
    expect(identities.map((identity) => identity.channelId).sort()).toEqual([first, second].sort());
    expect(new Set(identities.map((identity) => identity.contactId)).size).toBe(1);
  });

  it('a sender known by their other address (a WhatsApp BSUID) is that contact, in the next batch or the same one', async () => {
    for (const together of [false, true]) {
      const { workspaceId } = await seedWorkspace(db);
      const channelId = await whatsappChannel(workspaceId);
      const bsuid = `US.${String(Date.now())}${together ? 1 : 0}`;
      const first = inbound(channelId, bsuid, new Date(Date.now() - hour));
      const second = inbound(channelId, '+15550007000', new Date());
      second.from.otherAddress = bsuid;
      if (together) await consume([second, first]);
      else {
        await consume([first]);
        await consume([second]);
      }
      const people = await db.select().from(contacts).where(eq(contacts.workspaceId, workspaceId));
      expect(people, `together: ${together}`).toHaveLength(1);
      const recorded = await db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.channelId, channelId));
      expect(recorded.map((message) => message.contactId)).toEqual([people[0]!.id, people[0]!.id]);
      // Their one identity on the channel keeps its address, and the message opened its window.
      const identities = await db
        .select()
        .from(contactIdentities)
        .where(eq(contactIdentities.channelId, channelId));
      expect(identities).toHaveLength(1);
      expect(identities[0]?.lastInboundAt?.getTime()).toBe(Date.parse(second.at));
    }
  });

  it('a replayed message is recorded once and moves nothing back', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const event = inbound(channelId, '+15550003000', new Date());
    await consume([event, event]);
    await consume([event]);
    expect(await db.$count(inboundMessages, eq(inboundMessages.channelId, channelId))).toBe(1);
    expect(await db.$count(contacts, eq(contacts.workspaceId, workspaceId))).toBe(1);
  });
});

/** A WhatsApp channel with a published one-step workflow sending on it. */
async function sendingChannel() {
  const { workspaceId } = await seedWorkspace(db);
  const channelId = await whatsappChannel(workspaceId);
  const { workflowId, versionId, stepIds } = await publishWorkflow(db, workspaceId, [
    {
      key: 'send',
      type: 'send_message',
      config: sendConfig({ channel: { kind: 'specific', channelId } }),
    },
  ]);
  /** A new run of `contactId` at the step. */
  const run = async (contactId: string) => {
    const stepId = stepIds.send!;
    const runId = await seedRunAt(db, { workspaceId, workflowId, versionId, contactId, stepId });
    return { runId, stepId };
  };
  /** A sent delivery of a new run of `contactId` at the step, sent at `sentAt` to `recipient`. */
  const sent = async (contactId: string, sentAt: Date, recipient: string | null = null) => {
    const { runId, stepId } = await run(contactId);
    const [row] = await db
      .insert(deliveries)
      .values({
        workspaceId,
        runId,
        stepId,
        visit: 1,
        status: 'sent',
        attempts: 1,
        channelId,
        recipient,
        providerMessageId: `m_${crypto.randomUUID()}`,
        sentAt,
      })
      .returning();
    return row!;
  };
  /** Messenger's "everything sent to `recipient` before `at` was delivered / read". */
  const watermark = (
    recipient: string,
    status: 'delivered' | 'read',
    at: Date,
  ): WatermarkEvent => ({
    kind: 'watermark',
    eventKey: `${recipient}:${status}:${at.toISOString()}`,
    channelId,
    recipient,
    status,
    at: at.toISOString(),
  });
  return { workspaceId, channelId, run, sent, watermark };
}

describe('statuses', () => {
  /**
   * A delivery of a run at a WhatsApp step, as dispatch leaves it while it sends, once sent, or
   * after a send that timed out (waiting for its retry).
   */
  async function delivery(state: 'sending' | 'sent' | 'queued') {
    const { workspaceId, channelId, run } = await sendingChannel();
    const contactId = await seedContact(db, workspaceId, { phone: '+15550004000' });
    const { runId, stepId } = await run(contactId);
    const wamid = `wamid.out.${crypto.randomUUID()}`;
    const [row] = await db
      .insert(deliveries)
      .values({
        workspaceId,
        runId,
        stepId,
        visit: 1,
        status: state,
        attempts: 1,
        ...(state === 'sent' ? { channelId, providerMessageId: wamid, sentAt: new Date() } : {}),
        ...(state === 'queued'
          ? { channelId, reasonCode: 'network', reasonDetail: 'did not answer' }
          : {}),
      })
      .returning();
    return { channelId, wamid, delivery: row! };
  }

  it('a status for a send not yet recorded is retried later, then applied once it is', async () => {
    const { channelId, wamid, delivery: row } = await delivery('sending');
    const early = await consume([status(channelId, wamid, 'delivered', row.id)]);
    expect(early.settlements).toEqual([{ kind: 'retry', delaySeconds: STATUS_RETRY_SECONDS }]);
    await db
      .update(deliveries)
      .set({ status: 'sent', channelId, providerMessageId: wamid, sentAt: new Date() })
      .where(eq(deliveries.id, row.id));
    const later = await consume([status(channelId, wamid, 'delivered', row.id)], 2);
    expect(later.settlements).toEqual([{ kind: 'ack' }]);
    const [after] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(after).toMatchObject({ status: 'sent', providerStatus: 'delivered' });
  });

  it('a status naming a delivery that waits for its retry after an unknown outcome records it as sent, so the retry sends nothing', async () => {
    // The send timed out: dispatch put the delivery back to wait for its retry.
    const { channelId, wamid, delivery: row } = await delivery('queued');
    const result = await consume([status(channelId, wamid, 'sent', row.id)]);
    expect(result.settlements).toEqual([{ kind: 'ack' }]);
    const [after] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(after).toMatchObject({
      status: 'sent',
      providerMessageId: wamid,
      providerStatus: 'sent',
      reasonCode: null,
    });
    expect(after?.sentAt).toBeInstanceOf(Date);
  });

  it('a status settling a delivery that waited for its retry reports it sent to partners, then its status', async () => {
    const sentOnly = await delivery('queued');
    await consume([status(sentOnly.channelId, sentOnly.wamid, 'sent', sentOnly.delivery.id)]);
    const delivered = await delivery('queued');
    await consume([
      status(delivered.channelId, delivered.wamid, 'delivered', delivered.delivery.id),
    ]);
    expect(eventsAbout(sentOnly.delivery.id)).toEqual(['delivery.sent']);
    expect(eventsAbout(delivered.delivery.id)).toEqual(['delivery.sent', 'delivery.delivered']);
    const sentEvent = published.find(
      (logged) =>
        logged.event.type === 'delivery.sent' &&
        'delivery' in logged.event.data &&
        logged.event.data.delivery.id === delivered.delivery.id,
    );
    // As dispatch reports an accepted send: sent, with the provider's id, before any status.
    expect(sentEvent?.event.data).toMatchObject({
      delivery: {
        status: 'sent',
        providerStatus: null,
        providerMessageId: delivered.wamid,
        reason: null,
      },
    });
    // A later status reports only itself.
    await consume([status(sentOnly.channelId, sentOnly.wamid, 'read', sentOnly.delivery.id)]);
    expect(eventsAbout(sentOnly.delivery.id)).toEqual(['delivery.sent', 'delivery.read']);
  });

  it('a status for a delivery whose retry is in flight waits for that attempt, then settles it and tells its run', async () => {
    const { channelId, wamid, delivery: row } = await delivery('queued');
    // The retry claimed the run (edge/dispatch/claim.ts) and is calling Meta right now.
    await db
      .update(runs)
      .set({ deliveryId: row.id, deliveryAttempts: 2, leaseUntil: new Date(Date.now() + 60_000) })
      .where(eq(runs.id, row.runId));
    const early = await consume([status(channelId, wamid, 'sent', row.id)]);
    expect(early.settlements).toEqual([{ kind: 'retry', delaySeconds: STATUS_RETRY_SECONDS }]);
    const [waiting] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(waiting).toMatchObject({ status: 'queued', providerStatus: null });

    // That attempt ended with its outcome unknown again (a timeout): its claim is released.
    await db.update(runs).set({ leaseUntil: null }).where(eq(runs.id, row.runId));
    const later = await consume([status(channelId, wamid, 'sent', row.id)], 2);
    expect(later.settlements).toEqual([{ kind: 'ack' }]);
    const [settled] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(settled).toMatchObject({ status: 'sent', providerStatus: 'sent' });
    // No claim sends it again: the run itself says its delivery is finished.
    expect(await readRun(db, row.runId)).toMatchObject({ deliveryFinished: true });
  });

  it('two batches settling the same waiting delivery at once report it sent once', async () => {
    const { channelId, wamid, delivery: row } = await delivery('queued');
    // As the timed-out attempt's record leaves it: the run names the delivery, unclaimed.
    await db.update(runs).set({ deliveryId: row.id }).where(eq(runs.id, row.runId));
    // Both batches take their snapshot while the run row is held, so both see the delivery
    // waiting; the second is let through only after the first has settled it.
    const holder = await pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from runs where id = $1 for update', [row.runId]);
      const blocked = async (count: number) => {
        for (let tries = 0; tries < 200; tries++) {
          // Not on the holder: in its transaction pg_stat_activity would stay one snapshot.
          const { rows } = await pool.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
             where wait_event_type = 'Lock' and query like 'with given as%'`,
          );
          if (rows[0]!.n >= count) return;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error(`fewer than ${count} status statements waited for the run row`);
      };
      const first = consume([status(channelId, wamid, 'sent', row.id)]);
      await blocked(1);
      const second = consume([status(channelId, wamid, 'delivered', row.id)]);
      await blocked(2);
      await holder.query('commit');
      const [a, b] = await Promise.all([first, second]);
      // The second found the delivery settled under it: it waits for a later attempt.
      expect(a.settlements).toEqual([{ kind: 'ack' }]);
      expect(b.settlements).toEqual([{ kind: 'retry', delaySeconds: STATUS_RETRY_SECONDS }]);
    } finally {
      holder.release();
    }
    const later = await consume([status(channelId, wamid, 'delivered', row.id)], 2);
    expect(later.settlements).toEqual([{ kind: 'ack' }]);
    expect(eventsAbout(row.id)).toEqual(['delivery.sent', 'delivery.delivered']);
    const [after] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(after).toMatchObject({ status: 'sent', providerStatus: 'delivered' });
  });

  it('a failed status does not settle a delivery waiting for its retry, nor does a status without our delivery id', async () => {
    const { channelId, wamid, delivery: row } = await delivery('sending');
    await db
      .update(deliveries)
      .set({ status: 'queued', channelId })
      .where(eq(deliveries.id, row.id));
    await consume([status(channelId, wamid, 'failed', row.id), status(channelId, wamid, 'sent')]);
    const [after] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(after).toMatchObject({ status: 'queued', providerStatus: null });
  });

  it('a status that never finds its delivery is dropped after the last attempt', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const result = await consume([status(channelId, 'wamid.unknown', 'sent')], MAX_STATUS_ATTEMPTS);
    expect(result.settlements).toEqual([{ kind: 'ack' }]);
  });

  it("a status on another channel's delivery finds nothing", async () => {
    const { wamid, delivery: row } = await delivery('sent');
    const { workspaceId } = await seedWorkspace(db);
    const otherChannel = await whatsappChannel(workspaceId);
    await consume([status(otherChannel, wamid, 'failed', row.id)]);
    const [after] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(after).toMatchObject({ status: 'sent', providerStatus: null });
  });

  it('statuses arriving together or out of order end at the highest; failed does not undo delivered', async () => {
    const { channelId, wamid, delivery: row } = await delivery('sent');
    await consume([status(channelId, wamid, 'read'), status(channelId, wamid, 'sent')]);
    await consume([status(channelId, wamid, 'delivered'), status(channelId, wamid, 'failed')]);
    const [after] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(after).toMatchObject({ status: 'sent', providerStatus: 'read', reasonCode: null });
    expect(after?.readAt).toBeInstanceOf(Date);
    expect(after?.deliveredAt?.getTime()).toBe(after?.readAt?.getTime());
  });

  it('delivered then a later failed in one batch ends as in two batches: delivered, not failed', async () => {
    const t0 = Date.now();
    const together = await delivery('sent');
    await consume([
      status(together.channelId, together.wamid, 'delivered', null, new Date(t0)),
      status(together.channelId, together.wamid, 'failed', null, new Date(t0 + 1_000)),
    ]);
    const apart = await delivery('sent');
    await consume([status(apart.channelId, apart.wamid, 'delivered', null, new Date(t0))]);
    await consume([status(apart.channelId, apart.wamid, 'failed', null, new Date(t0 + 1_000))]);
    for (const { delivery: row } of [together, apart]) {
      const [after] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
      expect(after).toMatchObject({
        status: 'sent',
        providerStatus: 'delivered',
        reasonCode: null,
        failedAt: null,
      });
      expect(eventsAbout(row.id)).toEqual(['delivery.delivered']);
    }
  });

  it('failed stays failed under a late sent or delivered and its replays, with one event', async () => {
    const { channelId, wamid, delivery: row } = await delivery('sent');
    await consume([status(channelId, wamid, 'failed')]);
    const [failed] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    await consume([status(channelId, wamid, 'sent'), status(channelId, wamid, 'delivered')]);
    const again = await consume([status(channelId, wamid, 'failed')]);
    // Found, so acknowledged: a repeated or late status is not retried.
    expect(again.settlements).toEqual([{ kind: 'ack' }]);
    const [after] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    expect(after).toEqual(failed);
    expect(after).toMatchObject({
      status: 'failed',
      providerStatus: 'failed',
      reasonCode: 'recipient_unavailable',
    });
    expect(eventsAbout(row.id)).toEqual(['delivery.failed']);
  });

  it('a delivery that failed before any acceptance was recorded takes no status after: no second delivery.failed, no delivered or read on a failed delivery', async () => {
    // Its attempt timed out (the message may have gone out, naming our delivery id), then it
    // failed without a recorded acceptance: its run was cancelled meanwhile, or its retries ran
    // out. Dispatch (or cancelRun) logged its one delivery.failed then.
    const cases = [
      { reason: 'run_cancelled', statuses: ['failed'] },
      { reason: 'network', statuses: ['failed', 'delivered', 'read'] },
    ] as const;
    for (const { reason, statuses } of cases) {
      const { channelId, wamid, delivery: row } = await delivery('queued');
      await db
        .update(deliveries)
        .set({ status: 'failed', reasonCode: reason, reasonDetail: 'did not answer' })
        .where(eq(deliveries.id, row.id));
      const [failed] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
      for (const state of statuses) {
        const result = await consume([status(channelId, wamid, state, row.id)]);
        // Found, so acknowledged: nothing for a retry to wait for.
        expect(result.settlements).toEqual([{ kind: 'ack' }]);
      }
      expect((await db.select().from(deliveries).where(eq(deliveries.id, row.id)))[0]).toEqual(
        failed,
      );
      expect(eventsAbout(row.id)).toEqual([]);
    }
  });

  it('read, then a late delivered and a replayed read: one read event, and the delivery stays read', async () => {
    const { channelId, wamid, delivery: row } = await delivery('sent');
    await consume([status(channelId, wamid, 'read')]);
    const [read] = await db.select().from(deliveries).where(eq(deliveries.id, row.id));
    const late = await consume([status(channelId, wamid, 'delivered')]);
    await consume([status(channelId, wamid, 'read')]);
    expect(late.settlements).toEqual([{ kind: 'ack' }]);
    expect((await db.select().from(deliveries).where(eq(deliveries.id, row.id)))[0]).toEqual(read);
    expect(eventsAbout(row.id)).toEqual(['delivery.read']);
  });

  it('the same status consumed by two batches at once has one effect and one event', async () => {
    const { channelId, wamid, delivery: row } = await delivery('sent');
    await Promise.all([
      consume([status(channelId, wamid, 'delivered')]),
      consume([status(channelId, wamid, 'delivered')]),
      consume([status(channelId, wamid, 'delivered')]),
    ]);
    expect(eventsAbout(row.id)).toEqual(['delivery.delivered']);
  });

  it('statuses for a deleted channel or contact are acknowledged without an error, in the end dropped', async () => {
    const gone = await delivery('sent');
    await db.delete(channels).where(eq(channels.id, gone.channelId));
    const other = await delivery('sent');
    const [otherRun] = await db.select().from(runs).where(eq(runs.id, other.delivery.runId));
    await db.delete(contacts).where(eq(contacts.id, otherRun!.contactId));
    const events = [
      status(gone.channelId, gone.wamid, 'delivered'),
      status(other.channelId, other.wamid, 'read', other.delivery.id),
      inbound(gone.channelId, '+15550005000', new Date()),
    ];
    const last = await consume(events, MAX_STATUS_ATTEMPTS);
    expect(last.settlements).toEqual([{ kind: 'ack' }, { kind: 'ack' }, { kind: 'ack' }]);
    expect(await db.$count(inboundMessages, eq(inboundMessages.channelId, gone.channelId))).toBe(0);
  });

  it('statuses move neither the window nor the last interacted channel', async () => {
    const { channelId, wamid, delivery: row } = await delivery('sent');
    const [run] = await db.select().from(runs).where(eq(runs.id, row.runId));
    const { workspaceId } = row;
    const other = await whatsappChannel(workspaceId);
    const wroteAt = new Date(Date.now() - 2 * hour);
    await db.insert(contactIdentities).values({
      workspaceId,
      contactId: run!.contactId,
      channelId,
      address: '+15550004000',
      lastInboundAt: wroteAt,
    });
    await db
      .update(contacts)
      .set({ lastInteractedChannelId: other, lastInteractedAt: wroteAt })
      .where(eq(contacts.id, run!.contactId));
    await consume([status(channelId, wamid, 'read')]);
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, run!.contactId));
    expect(contact).toMatchObject({ lastInteractedChannelId: other, lastInteractedAt: wroteAt });
    const [identity] = await db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.contactId, run!.contactId));
    expect(identity?.lastInboundAt).toEqual(wroteAt);
  });

  it('a batch of statuses is one statement, whatever its size', async () => {
    const sent = await Promise.all([delivery('sent'), delivery('sent'), delivery('sent')]);
    const one = await consume([status(sent[0]!.channelId, sent[0]!.wamid, 'delivered')]);
    const three = await consume(sent.map((s) => status(s.channelId, s.wamid, 'read')));
    expect(three.statements).toBe(one.statements);
  });
});

/** The rows as they are now. */
function reread(rows: readonly { id: string }[]) {
  return Promise.all(
    rows.map(
      async (row) => (await db.select().from(deliveries).where(eq(deliveries.id, row.id)))[0],
    ),
  );
}

describe('Messenger watermarks', () => {
  it('mark what was sent to that person by the watermark, not what was sent after nor to others', async () => {
    const { workspaceId, channelId, sent, watermark } = await sendingChannel();
    const contactId = await seedContact(db, workspaceId, {}, [{ channelId, address: '111222' }]);
    const otherId = await seedContact(db, workspaceId, {}, [{ channelId, address: '333444' }]);
    const at = new Date();
    const sentAt = (ms: number) => new Date(at.getTime() + ms);
    const rows = [
      await sent(contactId, sentAt(-60_000)),
      await sent(contactId, sentAt(60_000)),
      await sent(otherId, sentAt(-60_000)),
    ];
    const result = await consume([watermark('111222', 'delivered', at)]);
    // Never retried: a send recorded after it is left to the next watermark.
    expect(result.settlements).toEqual([{ kind: 'ack' }]);
    const after = await reread(rows);
    expect(after.map((row) => row?.providerStatus ?? null)).toEqual(['delivered', null, null]);
  });

  it("mark only what was sent to the watermark's address, not what went to the contact's previous one", async () => {
    const { workspaceId, channelId, sent, watermark } = await sendingChannel();
    // The contact's address on the channel was set to 111222 through the API after a message
    // went to their previous one, 555666 (one identity per contact and channel).
    const contactId = await seedContact(db, workspaceId, {}, [{ channelId, address: '111222' }]);
    const at = new Date();
    const rows = [];
    // Sent to the previous address, to this one, and before deliveries recorded their recipient.
    for (const recipient of ['555666', '111222', null]) {
      rows.push(await sent(contactId, new Date(at.getTime() - 60_000), recipient));
    }
    await consume([watermark('111222', 'read', at)]);
    const after = await reread(rows);
    expect(after.map((row) => row?.providerStatus ?? null)).toEqual([null, 'read', 'read']);
    expect(eventsAbout(rows[0]!.id)).toEqual([]);
  });

  it('a read watermark older than the delivery watermark applied before it leaves the message delivered by when it was read', async () => {
    const { workspaceId, channelId, sent, watermark } = await sendingChannel();
    const contactId = await seedContact(db, workspaceId, {}, [{ channelId, address: '777888' }]);
    const now = Date.now();
    const row = await sent(contactId, new Date(now - 10 * 60_000), '777888');
    // Each watermark covers the message ("all messages sent before this time"); the later
    // delivery watermark (for a newer message) arrives first.
    const readBy = new Date(now - 5 * 60_000);
    await consume([watermark('777888', 'delivered', new Date(now - 60_000))]);
    await consume([watermark('777888', 'read', readBy)]);
    const [after] = await reread([row]);
    expect(after).toMatchObject({ providerStatus: 'read', readAt: readBy });
    // Read by then, so delivered by then: never delivered after it was read.
    expect(after?.deliveredAt).toEqual(readBy);
  });
});

describe('the dead letter queue', () => {
  it('records dead-lettered inbound messages and drops a status that still finds no delivery, without a retry', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const message = inbound(channelId, '+15550009000', new Date());
    const result = await consume([message, status(channelId, 'wamid.lost', 'delivered')], 1, true);
    expect(result.settlements).toEqual([{ kind: 'ack' }, { kind: 'ack' }]);
    expect(await db.$count(inboundMessages, eq(inboundMessages.channelId, channelId))).toBe(1);
  });
});
