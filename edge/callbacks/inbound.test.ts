import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { duringDelete } from '../../api/workflows/test-fixtures';
import { channels, contactIdentities, contacts, inboundMessages } from '../../db/schema';
import { nodeDatabase } from '../../test/node-database';
import { displayNameProblem } from '../../workflow/display-name';
import type { CallbackChannel } from '../channels/callbacks';
import type { AddressChangeEvent, ChannelEvent, InboundEvent } from '../channels/events';
import { telegramBotCallbacks } from '../channels/telegram-bot/callbacks';
import { seedContact, seedWorkspace } from '../dispatch/test-seed';
import { consumeEvents, inboundText } from './test-events';

/**
 * Address changes (a WhatsApp user's regenerated business-scoped user ID) through the callbacks
 * consumer in Node against this run's Postgres, as queued: which identities move, and which
 * never do. The workerd test (whatsapp-flow.test.ts) posts the webhook behind the real route.
 */

const { pool, db } = nodeDatabase();

async function whatsappChannel(workspaceId: string): Promise<string> {
  const [row] = await db
    .insert(channels)
    .values({ workspaceId, type: 'whatsapp', provider: 'meta', name: 'WhatsApp' })
    .returning({ id: channels.id });
  return row!.id;
}

/** Distinct BSUIDs per test, so that nothing collides across tests. */
let sequence = 0;
function bsuid(): string {
  sequence += 1;
  return `US.${Date.now()}${String(sequence).padStart(6, '0')}`;
}

function change(
  channelId: string,
  previous: string,
  current: string,
  at = new Date(),
): AddressChangeEvent {
  sequence += 1;
  return {
    kind: 'address_change',
    eventKey: `wamid.sys.${sequence}:user_id`,
    channelId,
    previous,
    current,
    at: at.toISOString(),
  };
}

function consume(events: ChannelEvent[]) {
  return consumeEvents(db, events);
}

async function identitiesOf(contactId: string) {
  return db.select().from(contactIdentities).where(eq(contactIdentities.contactId, contactId));
}

describe('a contact whose business-scoped user ID changed', () => {
  it('keeps their identity on the channel, at the new address, with its window; a replay changes nothing', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const [previous, current] = [bsuid(), bsuid()];
    const lastInboundAt = new Date(Date.now() - 3_600_000);
    const contactId = await seedContact(db, workspaceId, { phone: null }, [
      { channelId, address: previous, lastInboundAt },
    ]);
    const [before] = await identitiesOf(contactId);
    const event = change(channelId, previous, current);

    expect(await consume([event])).toEqual([{ kind: 'ack' }]);
    const [after] = await identitiesOf(contactId);
    expect(after).toMatchObject({ id: before!.id, channelId, address: current, lastInboundAt });

    expect(await consume([event])).toEqual([{ kind: 'ack' }]);
    expect(await identitiesOf(contactId)).toEqual([after]);
  });

  it("a changed phone number moves the phone identity, and the user's next message from it finds the same contact", async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const suffix = String(Date.now()).slice(-7);
    const [previous, current] = [`+1650${suffix}`, `+1219${suffix}`];
    const contactId = await seedContact(db, workspaceId, { phone: previous }, [
      { channelId, address: previous },
    ]);
    expect(
      await consume([{ ...change(channelId, previous, current), eventKey: 'wamid.n:wa_id' }]),
    ).toEqual([{ kind: 'ack' }]);
    expect(await identitiesOf(contactId)).toMatchObject([{ channelId, address: current }]);

    const message = inboundText(channelId, current, {
      name: 'Sheena Nelson',
      text: 'new number, same me',
    });
    await consume([message]);
    const [identity] = await identitiesOf(contactId);
    expect(identity?.lastInboundAt).toBeInstanceOf(Date);
    const twins = await db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.address, current));
    expect(twins.map((row) => row.contactId)).toEqual([contactId]);
  });

  it("moves only the identity on the event's channel: not another workspace's, nor another channel's of the same workspace", async () => {
    const [mine, theirs] = [await seedWorkspace(db), await seedWorkspace(db)];
    const [channelId, otherChannelId, theirChannelId] = [
      await whatsappChannel(mine.workspaceId),
      await whatsappChannel(mine.workspaceId),
      await whatsappChannel(theirs.workspaceId),
    ];
    const [previous, current] = [bsuid(), bsuid()];
    const contactId = await seedContact(db, mine.workspaceId, {}, [
      { channelId, address: previous },
      { channelId: otherChannelId, address: previous },
    ]);
    const theirContactId = await seedContact(db, theirs.workspaceId, {}, [
      { channelId: theirChannelId, address: previous },
    ]);

    await consume([change(channelId, previous, current)]);
    const addresses = new Map(
      (await identitiesOf(contactId)).map((identity) => [identity.channelId, identity.address]),
    );
    expect(addresses).toEqual(
      new Map([
        [channelId, current],
        [otherChannelId, previous],
      ]),
    );
    expect((await identitiesOf(theirContactId)).map((identity) => identity.address)).toEqual([
      previous,
    ]);
  });

  it('follows two changes in one batch to the last address, whatever their order in the batch', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const [first, second, third] = [bsuid(), bsuid(), bsuid()];
    const contactId = await seedContact(db, workspaceId, {}, [{ channelId, address: first }]);
    const earlier = new Date(Date.now() - 60_000);
    await consume([
      change(channelId, second, third, new Date()),
      change(channelId, first, second, earlier),
    ]);
    expect((await identitiesOf(contactId)).map((identity) => identity.address)).toEqual([third]);
  });

  it('leaves both identities as they are when the new address is already another contact on the channel, and acks', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const [previous, current] = [bsuid(), bsuid()];
    const oldContactId = await seedContact(db, workspaceId, {}, [{ channelId, address: previous }]);
    const newContactId = await seedContact(db, workspaceId, {}, [{ channelId, address: current }]);
    expect(await consume([change(channelId, previous, current)])).toEqual([{ kind: 'ack' }]);
    expect((await identitiesOf(oldContactId)).map((identity) => identity.address)).toEqual([
      previous,
    ]);
    expect((await identitiesOf(newContactId)).map((identity) => identity.address)).toEqual([
      current,
    ]);
  });

  it('a message from the new address in the same batch is the same contact, not a new one', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const [previous, current] = [bsuid(), bsuid()];
    const contactId = await seedContact(db, workspaceId, {}, [{ channelId, address: previous }]);
    const message = inboundText(channelId, current, { name: 'Sheena Nelson', text: 'Still me' });
    await consume([message, change(channelId, previous, current)]);
    const [recorded] = await db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerMessageId, message.providerMessageId));
    expect(recorded?.contactId).toBe(contactId);
    expect(await db.$count(contacts, eq(contacts.workspaceId, workspaceId))).toBe(1);
  });

  it('a queued change without both addresses is dropped as malformed', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const previous = bsuid();
    const contactId = await seedContact(db, workspaceId, {}, [{ channelId, address: previous }]);
    const broken = { ...change(channelId, previous, bsuid()), current: undefined };
    const same = change(channelId, previous, previous);
    expect(await consume([broken as unknown as ChannelEvent, same])).toEqual([
      { kind: 'ack' },
      { kind: 'ack' },
    ]);
    expect((await identitiesOf(contactId)).map((identity) => identity.address)).toEqual([previous]);
  });
});

describe('Telegram: a channel given another bot, and a group that became a supergroup', () => {
  const firstBot = '7012345678:AAHfirst-telegram-bot-token_0123456789';
  const nextBot = '7098765432:AAHnext-telegram-bot-token_98765432100';

  async function telegramChannel(workspaceId: string): Promise<string> {
    const [row] = await db
      .insert(channels)
      .values({ workspaceId, type: 'telegram', provider: 'telegram', name: 'Bot' })
      .returning({ id: channels.id });
    return row!.id;
  }

  /** The events Telegram's POST of `update` becomes on the channel with `botToken`. */
  function parsed(channelId: string, botToken: string, update: unknown): ChannelEvent[] {
    const channel: CallbackChannel = {
      id: channelId,
      type: 'telegram',
      provider: 'telegram',
      name: 'Bot',
      settings: {},
      credentials: { botToken },
      callbackToken: 'token',
    };
    return telegramBotCallbacks.parse(JSON.stringify(update), channel);
  }

  function privateText(updateId: number, chatId: number, messageId: number, text: string) {
    return {
      update_id: updateId,
      message: {
        message_id: messageId,
        from: { id: chatId, is_bot: false, first_name: 'Ada' },
        chat: { id: chatId, type: 'private', first_name: 'Ada' },
        date: Math.floor(Date.now() / 1000),
        text,
      },
    };
  }

  it("records the next bot's message with the same update and message ids, and a replay of either once", async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await telegramChannel(workspaceId);
    const chatId = 500_000_000 + (Date.now() % 100_000_000);
    const before = privateText(900, chatId, 41, 'to the first bot');
    const after = privateText(900, chatId, 41, 'to the next bot');

    await consume(parsed(channelId, firstBot, before));
    await consume([...parsed(channelId, firstBot, before), ...parsed(channelId, nextBot, after)]);
    await consume(parsed(channelId, nextBot, after));

    const recorded = await db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.channelId, channelId));
    expect(recorded.map((message) => message.summary).sort()).toEqual([
      'to the first bot',
      'to the next bot',
    ]);
    expect(new Set(recorded.map((message) => message.contactId)).size).toBe(1);
  });

  it("moves the group's identity to the supergroup's chat id, once, from either migration message", async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await telegramChannel(workspaceId);
    const group = -(4_000_000_000 + (Date.now() % 100_000_000));
    const supergroup = -(1_002_000_000_000 + (Date.now() % 100_000_000));
    const contactId = await seedContact(db, workspaceId, { firstName: 'Team' }, [
      { channelId, address: String(group) },
    ]);
    const date = Math.floor(Date.now() / 1000);
    const from = { id: 5, is_bot: false, first_name: 'Ada' };
    const migrateTo = {
      update_id: 901,
      message: {
        message_id: 9,
        from,
        chat: { id: group, type: 'group', title: 'Team' },
        date,
        migrate_to_chat_id: supergroup,
      },
    };
    const migrateFrom = {
      update_id: 902,
      message: {
        message_id: 1,
        from,
        chat: { id: supergroup, type: 'supergroup', title: 'Team' },
        date,
        migrate_from_chat_id: group,
      },
    };
    expect(await consume(parsed(channelId, firstBot, migrateTo))).toEqual([{ kind: 'ack' }]);
    expect(await identitiesOf(contactId)).toMatchObject([
      { channelId, address: String(supergroup) },
    ]);
    await consume([
      ...parsed(channelId, firstBot, migrateFrom),
      ...parsed(channelId, firstBot, migrateTo),
    ]);
    expect(await identitiesOf(contactId)).toMatchObject([
      { channelId, address: String(supergroup) },
    ]);
    expect(await db.$count(inboundMessages, eq(inboundMessages.channelId, channelId))).toBe(0);
  });
});

describe('a time Postgres cannot store', () => {
  it('is a malformed event, dropped, and holds back none of the batch', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const [row] = await db
      .insert(channels)
      .values({ workspaceId, type: 'line', provider: 'line', name: 'LINE' })
      .returning({ id: channels.id });
    const channelId = row!.id;
    const message = (id: string, at: string): InboundEvent => ({
      kind: 'inbound',
      eventKey: `event-${id}`,
      channelId,
      providerMessageId: id,
      from: { address: `U${id.padStart(32, '0')}`, name: null },
      at,
      content: { type: 'text', text: id },
    });
    // A JS Date reaches the year 275760; Postgres reads four-digit years only from ISO text.
    const far = message(`${Date.now()}1`, new Date(1e15).toISOString());
    const good = message(`${Date.now()}2`, new Date().toISOString());
    expect(await consume([far, good])).toEqual([{ kind: 'ack' }, { kind: 'ack' }]);
    const recorded = await db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.channelId, channelId));
    expect(recorded.map((message) => message.providerMessageId)).toEqual([good.providerMessageId]);
  });
});

describe('ids no identity or message can be stored under', () => {
  it('an address or message id too long for an index, or holding a NUL, is a malformed event, dropped, and holds back none of the batch', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const [row] = await db
      .insert(channels)
      .values({ workspaceId, type: 'viber', provider: 'viber', name: 'Viber' })
      .returning({ id: channels.id });
    const channelId = row!.id;
    const noise = (length: number) =>
      Array.from({ length }, () => Math.random().toString(36).slice(2, 3)).join('');
    const message = (id: string, address: string): InboundEvent => ({
      kind: 'inbound',
      eventKey: `event-${id.slice(0, 40)}`,
      channelId,
      providerMessageId: id,
      from: { address, name: 'Ada' },
      at: new Date().toISOString(),
      content: { type: 'text', text: 'hi' },
    });
    const good = message(`${Date.now()}0`, `${noise(10)}=`);
    const events = [
      message(`${Date.now()}1`, noise(8000)),
      message(`${Date.now()}2${noise(8000)}`, `${noise(10)}=`),
      message(`${Date.now()}3`, `nul\u0000${noise(10)}`),
      good,
    ];
    expect(await consume(events)).toEqual(events.map(() => ({ kind: 'ack' })));
    const recorded = await db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.channelId, channelId));
    expect(recorded.map((message) => message.providerMessageId)).toEqual([good.providerMessageId]);
  });
});

describe("a new sender's profile name", () => {
  it('names the contact on one line without control or bidirectional formatting characters, as the API would take it', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const suffix = String(Date.now()).slice(-7);
    const phone = `+1415${suffix}`;
    // A profile name is whatever the person wrote: a right-to-left override makes
    // "Refund<U+202E>lanigiro" read "Refundoriginal"; NEL, tab and isolates break the line.
    const message: InboundEvent = {
      kind: 'inbound',
      eventKey: `wamid.name.${suffix}`,
      channelId,
      providerMessageId: `wamid.name.${suffix}`,
      from: { address: phone, name: 'Refund\u202Elanigiro\u0085Team\t\u2066A\u2069\u0007' },
      at: new Date().toISOString(),
      content: { type: 'text', text: 'hello' },
    };
    expect(await consume([message])).toEqual([{ kind: 'ack' }]);
    const [identity] = await db
      .select()
      .from(contactIdentities)
      .where(eq(contactIdentities.address, phone));
    const [contact] = await db.select().from(contacts).where(eq(contacts.id, identity!.contactId));
    expect(contact).toMatchObject({ firstName: 'Refund', lastName: 'lanigiro Team A', phone });
    expect(displayNameProblem(contact!.firstName!)).toBeNull();
    expect(displayNameProblem(contact!.lastName!)).toBeNull();
  });
});

describe('a channel deleted while its messages are recorded', () => {
  it("drops that channel's messages and records the rest of the batch, without an error", async () => {
    const { workspaceId } = await seedWorkspace(db);
    const [doomed, kept] = [await whatsappChannel(workspaceId), await whatsappChannel(workspaceId)];
    const inbound = (channelId: string, address: string) =>
      inboundText(channelId, address, { name: 'New Sender' });
    const [gone, stays] = [bsuid(), bsuid()];
    // The batch meets the delete before it commits: it must wait for it, not fail on the
    // identities' and messages' foreign keys (the queue would retry every event of the batch).
    const settlements = await duringDelete(
      db,
      (tx) => tx.delete(channels).where(eq(channels.id, doomed)),
      () => consume([inbound(doomed, gone), inbound(kept, stays)]),
    );
    expect(settlements).toEqual([{ kind: 'ack' }, { kind: 'ack' }]);
    const recorded = await db
      .select({ channelId: inboundMessages.channelId })
      .from(inboundMessages)
      .where(eq(inboundMessages.workspaceId, workspaceId));
    expect(recorded).toEqual([{ channelId: kept }]);
    expect(await db.$count(contacts, eq(contacts.workspaceId, workspaceId))).toBe(1);
  });
});

describe('a contact deleted while a message from them is recorded', () => {
  it('records the message on a new contact for the address, without an error', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const address = bsuid();
    const deleted = await seedContact(db, workspaceId, { firstName: 'Gone' }, [
      { channelId, address },
    ]);
    const message = inboundText(channelId, address, { name: 'Back Again', text: 'hello again' });
    // The batch found the contact before the delete commits: it must wait for it and make a
    // new contact, not fail on the identity's and the message's foreign keys.
    const settlements = await duringDelete(
      db,
      (tx) => tx.delete(contacts).where(eq(contacts.id, deleted)),
      () => consume([message]),
    );
    expect(settlements).toEqual([{ kind: 'ack' }]);
    const [recorded] = await db
      .select({ contactId: inboundMessages.contactId })
      .from(inboundMessages)
      .where(eq(inboundMessages.channelId, channelId));
    expect(recorded?.contactId).toBeDefined();
    expect(recorded?.contactId).not.toBe(deleted);
    expect(await identitiesOf(recorded!.contactId)).toMatchObject([{ channelId, address }]);
  });
});

describe('a workspace deleted while messages to it are recorded', () => {
  it('waits for the batch that holds its channel, which records its message, and neither fails', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await whatsappChannel(workspaceId);
    const address = bsuid();
    const contactId = await seedContact(db, workspaceId, {}, [{ channelId, address }]);
    const [identity] = await identitiesOf(contactId);
    const message = inboundText(channelId, address);
    const blockedBy = async (blocker: number) => {
      for (const started = Date.now(); Date.now() - started < 10_000; ) {
        const { rows } = await pool.query<{ pid: number }>(
          'select pid from pg_stat_activity where $1::int = any(pg_blocking_pids(pid))',
          [blocker],
        );
        if (rows[0]) return rows[0].pid;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`nothing waited for backend ${blocker}`);
    };
    // The batch is held once it has found the sender (their identity's row is locked), and the
    // workspace's delete comes then: it holds the workspace's row while its cascade reaches the
    // channel and the contact, and every row the batch writes needs that workspace's key.
    const holder = await pool.connect();
    const deleter = await pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from contact_identities where id = $1 for update', [
        identity!.id,
      ]);
      const holderPid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid;
      const consuming = consume([message]);
      consuming.catch(() => {});
      await blockedBy(holderPid);
      const deleterPid = (await deleter.query('select pg_backend_pid() as pid')).rows[0].pid;
      const deleting = deleter.query('delete from workspaces where id = $1', [workspaceId]);
      deleting.catch(() => {});
      for (const started = Date.now(); ; ) {
        const { rows } = await pool.query(
          'select 1 from pg_stat_activity where pid = $1 and cardinality(pg_blocking_pids(pid)) > 0',
          [deleterPid],
        );
        if (rows.length > 0) break;
        if (Date.now() - started > 10_000) throw new Error('the delete never waited');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await holder.query('rollback');
      await expect(consuming).resolves.toEqual([{ kind: 'ack' }]);
      await expect(deleting).resolves.toMatchObject({ rowCount: 1 });
    } finally {
      holder.release();
      deleter.release();
    }
    expect(await db.$count(inboundMessages, eq(inboundMessages.workspaceId, workspaceId))).toBe(0);
  });
});
