import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { channels, contactIdentities, contacts, inboundMessages } from '../../db/schema';
import { nodeDatabase } from '../../test/node-database';
import type { AddressChangeEvent, ChannelEvent, InboundEvent } from '../channels/events';
import { seedContact, seedWorkspace } from '../dispatch/test-seed';
import { consumeEvents, inboundText } from './test-events';

/**
 * WhatsApp ids that are another form of a contact's E.164 phone (workflow/phone-equivalents.ts:
 * a Mexican `+521…` account, a Brazilian mobile without its ninth digit), through the callbacks
 * consumer in Node against this run's Postgres, as queued. The workerd test
 * (whatsapp-flow.test.ts) posts Meta's webhook behind the real route.
 */

const { db } = nodeDatabase();

async function channel(workspaceId: string, type: 'whatsapp' | 'sms' = 'whatsapp') {
  const [row] = await db
    .insert(channels)
    .values({ workspaceId, type, provider: type === 'whatsapp' ? 'meta' : 'twilio', name: type })
    .returning({ id: channels.id });
  return row!.id;
}

function inbound(channelId: string, address: string, at = new Date()): InboundEvent {
  return inboundText(channelId, address, { name: 'Lucía Pérez', text: 'hola', at });
}

async function consume(events: ChannelEvent[]) {
  const settlements = await consumeEvents(db, events);
  expect(settlements).toEqual(events.map(() => ({ kind: 'ack' })));
}

function contactsOf(workspaceId: string) {
  return db.select().from(contacts).where(eq(contacts.workspaceId, workspaceId));
}

function identitiesOn(channelId: string) {
  return db.select().from(contactIdentities).where(eq(contactIdentities.channelId, channelId));
}

async function messagesOn(channelId: string) {
  return db.select().from(inboundMessages).where(eq(inboundMessages.channelId, channelId));
}

describe('an inbound WhatsApp id that is another form of a contact’s phone', () => {
  for (const [country, e164, waId] of [
    ['Mexico', '+525512345678', '+5215512345678'],
    ['Brazil', '+5561987654321', '+556187654321'],
  ] as const) {
    it(`${country}: finds the contact whose phone is ${e164}, records the message and its window on them, and creates no twin`, async () => {
      const { workspaceId } = await seedWorkspace(db);
      const channelId = await channel(workspaceId);
      const contactId = await seedContact(db, workspaceId, { phone: e164 });
      const at = new Date(Date.now() - 60_000);
      await consume([inbound(channelId, waId, at)]);
      const all = await contactsOf(workspaceId);
      expect(all.map((row) => row.id)).toEqual([contactId]);
      expect(all[0]).toMatchObject({ phone: e164, lastInteractedChannelId: channelId });
      // The identity is the address WhatsApp gave, the one replies go to.
      expect(await identitiesOn(channelId)).toMatchObject([
        { contactId, address: waId, lastInboundAt: at },
      ]);
      expect((await messagesOn(channelId)).map((row) => row.contactId)).toEqual([contactId]);
    });

    it(`${country}: finds the contact whose identity on the channel the API set to ${e164}, and moves its window`, async () => {
      const { workspaceId } = await seedWorkspace(db);
      const channelId = await channel(workspaceId);
      const contactId = await seedContact(db, workspaceId, { phone: null }, [
        { channelId, address: e164 },
      ]);
      const at = new Date(Date.now() - 60_000);
      await consume([inbound(channelId, waId, at)]);
      expect((await contactsOf(workspaceId)).map((row) => row.id)).toEqual([contactId]);
      expect(await identitiesOn(channelId)).toMatchObject([
        { contactId, address: e164, lastInboundAt: at },
      ]);
      expect((await messagesOn(channelId)).map((row) => row.contactId)).toEqual([contactId]);
    });

    it(`${country}: a new sender ${waId} becomes a contact with the phone ${e164} and the identity ${waId}`, async () => {
      const { workspaceId } = await seedWorkspace(db);
      const channelId = await channel(workspaceId);
      await consume([inbound(channelId, waId)]);
      const [contact, ...others] = await contactsOf(workspaceId);
      expect(others).toEqual([]);
      expect(contact).toMatchObject({ phone: e164, firstName: 'Lucía', lastName: 'Pérez' });
      expect(await identitiesOn(channelId)).toMatchObject([
        { contactId: contact!.id, address: waId },
      ]);
      // Their next message, and one from the same number on SMS, find the same contact.
      const sms = await channel(workspaceId, 'sms');
      await consume([inbound(channelId, waId), inbound(sms, e164)]);
      expect((await contactsOf(workspaceId)).map((row) => row.id)).toEqual([contact!.id]);
      expect((await identitiesOn(sms)).map((row) => row.contactId)).toEqual([contact!.id]);
    });

    it(`${country}: ${waId} on WhatsApp and ${e164} on SMS in one batch, or at once in two consumers, are one contact`, async () => {
      const { workspaceId } = await seedWorkspace(db);
      const [whatsapp, sms] = [await channel(workspaceId), await channel(workspaceId, 'sms')];
      await consume([inbound(whatsapp, waId), inbound(sms, e164)]);
      const [contact, ...others] = await contactsOf(workspaceId);
      expect(others).toEqual([]);
      expect(contact?.phone).toBe(e164);
      expect((await identitiesOn(whatsapp)).map((row) => row.address)).toEqual([waId]);
      expect((await identitiesOn(sms)).map((row) => row.address)).toEqual([e164]);

      for (let round = 0; round < 4; round += 1) {
        const next = await seedWorkspace(db);
        const [w, s] = [await channel(next.workspaceId), await channel(next.workspaceId, 'sms')];
        await Promise.all([consume([inbound(w, waId)]), consume([inbound(s, e164)])]);
        expect(await db.$count(contacts, eq(contacts.workspaceId, next.workspaceId))).toBe(1);
      }
    });
  }

  it('prefers the contact whose phone is the address itself, then the oldest with an equivalent one', async () => {
    const day = 86_400_000;
    const mexico = await seedWorkspace(db);
    const channelId = await channel(mexico.workspaceId);
    await seedContact(db, mexico.workspaceId, {
      phone: '+525512345678',
      createdAt: new Date(Date.now() - 2 * day),
    });
    const exact = await seedContact(db, mexico.workspaceId, {
      phone: '+5215512345678',
      createdAt: new Date(Date.now() - day),
    });
    await consume([inbound(channelId, '+5215512345678')]);
    expect((await identitiesOn(channelId)).map((row) => row.contactId)).toEqual([exact]);

    const brazil = await seedWorkspace(db);
    const second = await channel(brazil.workspaceId);
    await seedContact(db, brazil.workspaceId, {
      phone: '+5561987654321',
      createdAt: new Date(Date.now() - day),
    });
    const oldest = await seedContact(db, brazil.workspaceId, {
      phone: '+5561987654321',
      createdAt: new Date(Date.now() - 2 * day),
    });
    await consume([inbound(second, '+556187654321')]);
    expect((await identitiesOn(second)).map((row) => row.contactId)).toEqual([oldest]);
  });

  it('prefers the identity at the address itself over one at an equivalent address', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await channel(workspaceId);
    await seedContact(db, workspaceId, {}, [{ channelId, address: '+525512345678' }]);
    const exact = await seedContact(db, workspaceId, {}, [
      { channelId, address: '+5215512345678' },
    ]);
    await consume([inbound(channelId, '+5215512345678')]);
    expect((await messagesOn(channelId)).map((row) => row.contactId)).toEqual([exact]);
  });

  it('keeps the rule that a contact with another identity on the channel is someone else', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await channel(workspaceId);
    const known = await seedContact(db, workspaceId, { phone: '+525512345678' }, [
      { channelId, address: 'MX.13491208655302741918' },
    ]);
    await consume([inbound(channelId, '+5215512345678')]);
    const [identity] = await db
      .select()
      .from(contactIdentities)
      .where(
        and(
          eq(contactIdentities.channelId, channelId),
          eq(contactIdentities.address, '+5215512345678'),
        ),
      );
    expect(identity?.contactId).toBeDefined();
    expect(identity?.contactId).not.toBe(known);
  });

  it('leaves a Brazilian landline apart from a nine-digit number ending in the same digits', async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await channel(workspaceId);
    const other = await seedContact(db, workspaceId, { phone: '+5561932345678' });
    await consume([inbound(channelId, '+556132345678')]);
    const [identity] = await identitiesOn(channelId);
    expect(identity?.contactId).toBeDefined();
    expect(identity?.contactId).not.toBe(other);
    expect(await db.$count(contacts, eq(contacts.workspaceId, workspaceId))).toBe(2);
  });
});

describe('a changed number reported from a WhatsApp id', () => {
  it("moves the identity the API gave today's E.164 form of the old number", async () => {
    const { workspaceId } = await seedWorkspace(db);
    const channelId = await channel(workspaceId);
    const contactId = await seedContact(db, workspaceId, { phone: '+525512345678' }, [
      { channelId, address: '+525512345678' },
    ]);
    const change: AddressChangeEvent = {
      kind: 'address_change',
      eventKey: `wamid.sys.${Date.now()}:wa_id`,
      channelId,
      previous: '+5215512345678',
      current: '+5215587654321',
      at: new Date().toISOString(),
    };
    await consume([change]);
    expect(await identitiesOn(channelId)).toMatchObject([{ contactId, address: '+5215587654321' }]);
  });
});
