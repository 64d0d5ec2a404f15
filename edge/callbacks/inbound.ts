import { sql } from 'drizzle-orm';
import { addressLockKey, lockAddresses } from '../../db/address-locks';
import type { Database } from '../../db/client';
import { isMoreRecentInteraction } from '../../db/interactions';
import { jsonParam, queryRows } from '../../db/rows';
import { CHANNEL_CAPABILITIES } from '../../workflow/channel-capabilities';
import type { ChannelType } from '../../workflow/channel-types';
import { isE164 } from '../../workflow/contact-fields';
import { isForbiddenInName } from '../../workflow/display-name';
import { canonicalPhone, phoneEquivalents } from '../../workflow/phone-equivalents';
import type { AddressChangeEvent, InboundContent, InboundEvent } from '../channels/events';

/** Longest inbound summary stored beside the content (for conversation lists). */
const SUMMARY_LENGTH = 500;

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

interface Sender {
  channel_id: string;
  address: string;
  /** The other address the provider named the sender by (InboundEvent `from.otherAddress`). */
  other_address: string | null;
  workspace_id: string;
  type: ChannelType;
  contact_id: string | null;
}

/** The text a list shows for an inbound message. */
export function inboundSummary(content: InboundContent): string | null {
  const text =
    content.type === 'text'
      ? content.text
      : content.type === 'media'
        ? (content.caption ?? content.fileName ?? `[${content.mediaType}]`)
        : (content.text ?? `[${content.providerType}]`);
  return text ? Array.from(text).slice(0, SUMMARY_LENGTH).join('') : null;
}

/**
 * A display name split for the contact: the first word, then the rest. The name is the
 * sender's own profile (a WhatsApp profile name, a Telegram or Viber user's name), which they
 * may write as they like; a contact's name is one line without control or bidirectional
 * formatting characters (workflow/display-name.ts: the API refuses a name with one, such as
 * `Refund<U+202E>lanigiro`, which displays as something it is not). A message cannot be
 * refused for its sender's name, so each such character separates words instead, as white space
 * does: the contact is named without it.
 */
function nameParts(name: string | null): { first: string | null; last: string | null } {
  const line = Array.from(name ?? '', (char) =>
    isForbiddenInName(char.charCodeAt(0)) ? ' ' : char,
  ).join('');
  const words = line.trim().split(/\s+/).filter(Boolean);
  return { first: words[0] ?? null, last: words.slice(1).join(' ') || null };
}

/** One sender on one channel: the key of the maps below. */
function keyOf(channelId: string, address: string): string {
  return `inbound:${channelId}:${address}`;
}

/**
 * The keys of a sender's advisory locks (db/address-locks.ts): their address's, and their other
 * address's when the provider names one, so that a message naming only that one (a WhatsApp
 * user's BSUID, their phone withheld) waits too.
 */
function lockKeysOf(event: Pick<InboundEvent, 'from'>): string[] {
  const { address, otherAddress } = event.from;
  return [addressLockKey(address), ...(otherAddress ? [addressLockKey(otherAddress)] : [])];
}

function senderKey(event: Pick<InboundEvent, 'channelId' | 'from'>): string {
  return keyOf(event.channelId, event.from.address);
}

/** Channel types whose identities are phone numbers, and those whose are e-mail addresses. */
function typesAddressedBy(recipient: 'phone' | 'email'): string[] {
  return Object.entries(CHANNEL_CAPABILITIES)
    .filter(([, capability]) => capability.recipient === recipient)
    .map(([type]) => type);
}

/** How often findSenders looks its senders up again after their contacts were deleted. */
const MAX_SENDER_LOOKUPS = 5;

/**
 * Finds each sender's contact: their identity on the channel, else (for channels addressed by
 * phone or e-mail) the workspace's oldest contact with that phone or e-mail. Senders on a
 * channel that no longer exists, or is being deleted, are absent.
 *
 * On a phone channel, a number's equivalent forms count as that number
 * (workflow/phone-equivalents.ts): WhatsApp names a Mexican user registered before 2019 by
 * `+521` and 10 digits, and an older Brazilian account by its mobile number without the ninth
 * digit, while the contact created through the API holds today's E.164 number, as its phone or
 * as its identity's address. The exact form is preferred over an equivalent one (an identity at
 * the address itself, else a contact whose phone is the address), then the oldest.
 */
async function findSenders(tx: Transaction, events: readonly InboundEvent[]): Promise<Sender[]> {
  const wanted = [...new Map(events.map((e) => [senderKey(e), e])).values()].map((event) => ({
    channel_id: event.channelId,
    address: event.from.address,
    phones: phoneEquivalents(event.from.address),
    other_address: event.from.otherAddress ?? null,
  }));
  const phoneTypes = sql.param(typesAddressedBy('phone'));
  // The channels and contacts found are held until the commit (`for key share`, as the
  // identities' and messages' foreign keys would hold them), so that a deleteChannel or
  // deleteContact that comes later waits and then deletes what this records with them. One
  // under way is waited for: its channel's senders are then absent, while a contact deleted
  // so is found missing by the lock and the senders are looked up again (that delete has
  // committed, and a new statement sees it), so a new contact is made. Otherwise a foreign
  // key's check would fail the transaction, and the queue retry the whole batch. Each look-up
  // again follows a delete that committed; a batch that meets one delete after another is left
  // to the queue's retry after MAX_SENDER_LOOKUPS.
  for (let lookup = 1; ; lookup++) {
    const senders = await queryRows<Sender & { held: boolean }>(
      tx as unknown as Database,
      sql`with wanted as (
          select * from json_to_recordset(${jsonParam(wanted)}::json)
            as w(channel_id uuid, address text, phones text[], other_address text)
        ),
        -- The channels' workspaces first (every row this transaction writes has their key): a
        -- workspace being deleted holds its row while its cascade waits for the channels, so
        -- locking a channel before its workspace would deadlock with it.
        ws as materialized (
          select x.id from workspaces x
          where x.id = any(array(select c.workspace_id from channels c
                                 where c.id in (select channel_id from wanted)))
          order by x.id
          for key share
        ),
        found as (
          select w.channel_id, w.address, w.other_address, c.workspace_id, c.type,
            coalesce(i.contact_id, (
              -- A contact known by this phone or e-mail, with no other identity on the channel.
              select ct.id from contacts ct
              where ct.workspace_id = c.workspace_id
                and ((c.type = any(${phoneTypes}::text[]) and ct.phone = any(w.phones))
                  or (c.type = any(${sql.param(typesAddressedBy('email'))}::text[])
                      and lower(ct.email) = lower(w.address)))
                and not exists (
                  select 1 from contact_identities x
                  where x.contact_id = ct.id and x.channel_id = c.id)
              order by (ct.phone = w.address) is true desc, ct.created_at limit 1)) as contact_id
          from wanted w
          join channels c on c.id = w.channel_id and c.workspace_id in (select id from ws)
          -- The sender's identity at their address (a phone in any of its forms), else at the
          -- other address the provider named them by: a WhatsApp user first known by their
          -- BSUID alone who now writes with their phone is that contact, not a new one.
          left join lateral (
            select x.contact_id from contact_identities x
            where x.channel_id = w.channel_id
              and (x.address = any(case when c.type = any(${phoneTypes}::text[]) then w.phones
                                        else array[w.address] end)
                or x.address = w.other_address)
            order by x.address = w.address desc, (x.address = w.other_address) is true,
              x.created_at
            limit 1
          ) i on true
          for key share of c
        ),
        held as (
          select ct.id from contacts ct
          where ct.id = any(array(select contact_id from found where contact_id is not null))
          for key share
        )
        select f.*, f.contact_id is null or f.contact_id in (select id from held) as held
        from found f`,
    );
    if (senders.every((sender) => sender.held)) return senders;
    if (lookup >= MAX_SENDER_LOOKUPS) {
      throw new Error(`inbound: senders' contacts deleted during ${lookup} look-ups in a row`);
    }
  }
}

/** Creates the contacts and identities senders lack, returning each sender's contact id. */
async function addSenders(
  tx: Transaction,
  senders: readonly Sender[],
  names: ReadonlyMap<string, string | null>,
): Promise<Map<string, string>> {
  const contactIds = new Map<string, string>();
  const newContacts: Record<string, unknown>[] = [];
  // The contacts created here by phone or e-mail, per workspace: a second sender with the same
  // phone (e-mail) in this batch, on another channel, is the same person, as findSenders would
  // find them by it in the next batch (one person writing on SMS and WhatsApp at once). Phones
  // are keyed in their canonical form, so equivalent forms are one person here too.
  const createdBy = new Map<string, string>();
  // A sender named by two addresses in this batch (a WhatsApp user's phone and BSUID, one
  // message with each) is one person, found or created once, as the next batch would find them
  // by the identity the first address got.
  const byAddress = new Map<string, string>();
  const addressesOf = (sender: Sender) =>
    [sender.address, sender.other_address].flatMap((address) =>
      address ? [keyOf(sender.channel_id, address)] : [],
    );
  for (const sender of senders) {
    if (!sender.contact_id) continue;
    for (const key of addressesOf(sender)) byAddress.set(key, sender.contact_id);
  }
  for (const sender of senders) {
    const key = keyOf(sender.channel_id, sender.address);
    let contactId =
      sender.contact_id ??
      addressesOf(sender)
        .map((address) => byAddress.get(address))
        .find(Boolean) ??
      null;
    if (!contactId) {
      const recipient = CHANNEL_CAPABILITIES[sender.type].recipient;
      // A phone channel's sender may be known by a scoped id instead (a WhatsApp user with a
      // username: their business-scoped user ID), which is no phone number. The contact's phone
      // is today's E.164 form of the number, the one the person would give for themselves and
      // the API is given (`+52` and 10 digits for a WhatsApp id `521…`; a Brazilian mobile with
      // its ninth digit), so that it is found as itself; the identity keeps the address exactly
      // as the provider gave it, the one replies go to.
      const phone =
        recipient === 'phone' && isE164(sender.address) ? canonicalPhone(sender.address) : null;
      const email = recipient === 'email' ? sender.address : null;
      const personKey = phone
        ? `${sender.workspace_id}:phone:${phone}`
        : email
          ? `${sender.workspace_id}:email:${email.toLowerCase()}`
          : null;
      contactId = (personKey && createdBy.get(personKey)) || null;
      if (!contactId) {
        contactId = crypto.randomUUID();
        if (personKey) createdBy.set(personKey, contactId);
        const { first, last } = nameParts(names.get(key) ?? null);
        newContacts.push({
          id: contactId,
          workspace_id: sender.workspace_id,
          first_name: first,
          last_name: last,
          phone,
          email,
        });
      }
    }
    for (const address of addressesOf(sender)) {
      if (!byAddress.has(address)) byAddress.set(address, contactId);
    }
    contactIds.set(key, contactId);
  }
  const identities = senders.map((sender) => ({
    workspace_id: sender.workspace_id,
    contact_id: contactIds.get(keyOf(sender.channel_id, sender.address)),
    channel_id: sender.channel_id,
    address: sender.address,
  }));
  await tx.execute(
    sql`with new_contacts as (
        insert into contacts (id, workspace_id, first_name, last_name, phone, email)
        select id, workspace_id, first_name, last_name, phone, email
        from json_to_recordset(${jsonParam(newContacts)}::json)
          as n(id uuid, workspace_id uuid, first_name text, last_name text, phone text, email text)
        returning id
      )
      insert into contact_identities (workspace_id, contact_id, channel_id, address)
      select workspace_id, contact_id, channel_id, address
      from json_to_recordset(${jsonParam(identities)}::json)
        as i(workspace_id uuid, contact_id uuid, channel_id uuid, address text)
      -- Only an identity written meanwhile through the API can conflict: it wins.
      on conflict do nothing`,
  );
  return contactIds;
}

/**
 * Records inbound messages in one transaction of four statements, whatever the batch size:
 * lock the senders by address (so two consumers never create one person twice, even from two
 * channels), find their contacts, create the missing contacts and identities, then record the
 * messages — each once per channel and provider message id, so a provider's retry has no
 * second effect — and, for the messages recorded now, move the identity's last inbound time
 * (the messaging window) and make the channel the contact's last interacted one when this is
 * their most recent interaction.
 * Returns how many messages were new.
 */
export async function recordInboundMessages(
  db: Database,
  events: readonly InboundEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  return db.transaction(async function recordInbound(tx) {
    await lockAddresses(tx as unknown as Database, events.flatMap(lockKeysOf));
    const senders = await findSenders(tx, events);
    const names = new Map(events.map((event) => [senderKey(event), event.from.name]));
    const contactIds = await addSenders(tx, senders, names);
    const workspaces = new Map(senders.map((s) => [s.channel_id, s.workspace_id]));
    const messages = events.flatMap((event) => {
      const contactId = contactIds.get(senderKey(event));
      const workspaceId = workspaces.get(event.channelId);
      if (!contactId || !workspaceId) return [];
      return [
        {
          workspace_id: workspaceId,
          contact_id: contactId,
          channel_id: event.channelId,
          provider_message_id: event.providerMessageId,
          content: event.content,
          summary: inboundSummary(event.content),
          received_at: event.at,
        },
      ];
    });
    const [row] = await queryRows<{ recorded: number }>(
      tx as unknown as Database,
      sql`with given as (
          select * from json_to_recordset(${jsonParam(messages)}::json) as m(
            workspace_id uuid, contact_id uuid, channel_id uuid, provider_message_id text,
            content jsonb, summary text, received_at timestamptz)
        ),
        inserted as (
          insert into inbound_messages
            (workspace_id, contact_id, channel_id, provider_message_id, content, summary, received_at)
          select workspace_id, contact_id, channel_id, provider_message_id, content, summary,
                 received_at
          from given
          on conflict (channel_id, provider_message_id) do nothing
          returning contact_id, channel_id, received_at
        ),
        identity_latest as (
          select contact_id, channel_id, max(received_at) as at from inserted group by 1, 2
        ),
        windows as (
          update contact_identities i
          set last_inbound_at = greatest(coalesce(i.last_inbound_at, l.at), l.at)
          from identity_latest l
          where i.contact_id = l.contact_id and i.channel_id = l.channel_id
          returning i.id
        ),
        contact_latest as (
          select distinct on (contact_id) contact_id, channel_id, received_at from inserted
          order by contact_id, received_at desc
        ),
        interacted as (
          update contacts c
          set last_interacted_channel_id = l.channel_id, last_interacted_at = l.received_at,
              updated_at = now()
          from contact_latest l
          where c.id = l.contact_id
            and ${isMoreRecentInteraction(sql`c.last_interacted_at`, sql`l.received_at`)}
          returning c.id
        )
        select (select count(*) from inserted)::int as recorded,
               (select count(*) from windows)::int as windows,
               (select count(*) from interacted)::int as interacted`,
    );
    return row?.recorded ?? 0;
  });
}

/**
 * Moves contacts' identities to the addresses their provider now knows them by (a WhatsApp
 * user's regenerated business-scoped user ID, edge/channels/events.ts `AddressChangeEvent`):
 * on the event's channel only, and only in that channel's workspace, the identity whose address
 * is `previous` takes `current`, keeping its contact and its last inbound time. In one
 * transaction, under the same address locks as inbound messages (both addresses), so a message
 * from either address recorded meanwhile waits and then finds the contact; in the order the
 * changes happened, so a chain (A to B, then B to C) ends at its last address. A replayed change
 * finds no identity at `previous` and changes nothing. When another identity on the channel
 * already has `current` (the user wrote from their new address before the change arrived, which
 * made them a new contact), both stay as they are: contacts are not merged here.
 * A phone number's equivalent forms (workflow/phone-equivalents.ts) count as the number: the
 * identity the API gave today's E.164 number moves when WhatsApp reports the change from its
 * WhatsApp id (`+521…`), the one at `previous` exactly first; none moves onto a number another
 * identity on the channel has in any form.
 * Returns how many identities moved.
 */
export async function applyAddressChanges(
  db: Database,
  events: readonly AddressChangeEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  return db.transaction(async function applyAddressChanges(tx) {
    await lockAddresses(
      tx as unknown as Database,
      events.flatMap((event) => [addressLockKey(event.previous), addressLockKey(event.current)]),
    );
    let moved = 0;
    for (const event of [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
      const rows = await queryRows<{ id: string }>(
        tx as unknown as Database,
        sql`update contact_identities i
            set address = ${event.current}
            from channels c
            where c.id = ${event.channelId}
              and i.channel_id = c.id
              and i.workspace_id = c.workspace_id
              and i.id = (
                select x.id from contact_identities x
                where x.channel_id = c.id
                  and x.address = any(${sql.param(phoneEquivalents(event.previous))}::text[])
                order by x.address = ${event.previous} desc, x.created_at limit 1)
              and not exists (
                select 1 from contact_identities x
                where x.channel_id = c.id and x.id <> i.id
                  and x.address = any(${sql.param(phoneEquivalents(event.current))}::text[]))
            returning i.id`,
      );
      moved += rows.length;
    }
    return moved;
  });
}
