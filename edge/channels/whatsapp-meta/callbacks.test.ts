import { describe, expect, test } from 'vitest';
import {
  inboundText,
  inboundTextFromUsername,
  messageStatus,
  metaSignature,
  metaWebhookBody,
  userChangedNumber,
  userChangedUserId,
  whatsappWebhook,
} from '../../../test/fakes/meta-webhooks';
import type { CallbackChannel } from '../callbacks';
import { cloudApiEvents, whatsappMetaCallbacks } from './callbacks';
import { WHATSAPP_TEST_IDS, whatsappChannel } from './test-fixtures';

const channel: CallbackChannel = { ...whatsappChannel(), callbackToken: 'verify-me-please' };
const at = new Date('2030-01-02T10:00:00Z');
const encoder = new TextEncoder();
const CALLBACK_URL = `https://sendflow.example.com/callbacks/meta/${channel.id}`;

function verify(body: string, signature?: string) {
  const headers = new Headers(signature ? { 'x-hub-signature-256': signature } : {});
  return whatsappMetaCallbacks.verify(
    { headers, body: encoder.encode(body), url: CALLBACK_URL },
    channel,
  );
}

describe('the subscription handshake', () => {
  const query = (token: string, mode = 'subscribe') =>
    new URLSearchParams({
      'hub.mode': mode,
      'hub.verify_token': token,
      'hub.challenge': '1158201444',
    });

  test('answers the challenge when the verify token matches', () => {
    expect(whatsappMetaCallbacks.handshake?.(query('verify-me-please'), channel)).toEqual({
      status: 200,
      body: '1158201444',
    });
  });

  test('refuses a wrong token, another mode, or a channel without a token', () => {
    expect(whatsappMetaCallbacks.handshake?.(query('guess'), channel)?.status).toBe(403);
    expect(
      whatsappMetaCallbacks.handshake?.(query('verify-me-please', 'unsubscribe'), channel)?.status,
    ).toBe(403);
    expect(
      whatsappMetaCallbacks.handshake?.(query('verify-me-please'), {
        ...channel,
        callbackToken: null,
      })?.status,
    ).toBe(403);
  });
});

describe('X-Hub-Signature-256 on the raw body', () => {
  const body = JSON.stringify(
    whatsappWebhook(
      WHATSAPP_TEST_IDS,
      inboundText({ waId: '16505551234', name: 'Ada' }, 'wamid.in1', 'hi'),
    ),
  );

  test('holds for Meta’s HMAC-SHA256 of the exact bytes with the app secret', async () => {
    expect(await verify(body, metaSignature(WHATSAPP_TEST_IDS.appSecret, body))).toBe('ok');
  });

  test('is missing without the header, invalid when forged, malformed or over other bytes', async () => {
    expect(await verify(body)).toBe('missing');
    expect(await verify(body, metaSignature('another-secret', body))).toBe('invalid');
    expect(await verify(body, 'sha1=abc')).toBe('invalid');
    expect(await verify(`${body} `, metaSignature(WHATSAPP_TEST_IDS.appSecret, body))).toBe(
      'invalid',
    );
  });

  test('holds over the escaped-unicode body Meta signs, whose text reads back unescaped', async () => {
    const payload = whatsappWebhook(
      WHATSAPP_TEST_IDS,
      inboundText({ waId: '16505551234', name: 'Zoë' }, 'wamid.in2', '¿Café? 😀', at),
    );
    const sent = metaWebhookBody(payload);
    expect(sent).toContain('\\u00bfCaf\\u00e9? \\ud83d\\ude00');
    const signature = metaSignature(WHATSAPP_TEST_IDS.appSecret, sent);
    expect(await verify(sent, signature)).toBe('ok');
    // The same JSON re-encoded (not the bytes Meta signed) does not verify.
    expect(await verify(JSON.stringify(JSON.parse(sent)), signature)).toBe('invalid');
    expect(whatsappMetaCallbacks.parse(sent, channel)).toMatchObject([
      { from: { name: 'Zoë' }, content: { type: 'text', text: '¿Café? 😀' } },
    ]);
  });

  test('nothing verifies for a channel without an app secret', async () => {
    const headers = new Headers({ 'x-hub-signature-256': metaSignature('', body) });
    expect(
      await whatsappMetaCallbacks.verify(
        { headers, body: encoder.encode(body), url: CALLBACK_URL },
        { ...channel, credentials: { accessToken: 'x' } },
      ),
    ).toBe('invalid');
  });
});

describe('payloads become provider-neutral events', () => {
  test('an inbound text names its sender in E.164 with their profile name', () => {
    const payload = whatsappWebhook(
      WHATSAPP_TEST_IDS,
      inboundText(
        { waId: '16505551234', name: 'Sheena Nelson' },
        'wamid.in1',
        'Another color?',
        at,
      ),
    );
    expect(whatsappMetaCallbacks.parse(JSON.stringify(payload), channel)).toEqual([
      {
        kind: 'inbound',
        eventKey: 'wamid.in1',
        channelId: channel.id,
        providerMessageId: 'wamid.in1',
        from: { address: '+16505551234', name: 'Sheena Nelson' },
        at: at.toISOString(),
        content: { type: 'text', text: 'Another color?' },
      },
    ]);
  });

  test('a username user without a phone is named by their business-scoped user ID', () => {
    const payload = whatsappWebhook(
      WHATSAPP_TEST_IDS,
      inboundTextFromUsername(
        { userId: 'US.13491208655302741918', username: 'sheena', name: 'Sheena Nelson' },
        'wamid.bsuid1',
        'Hi from a username',
        at,
      ),
    );
    expect(whatsappMetaCallbacks.parse(JSON.stringify(payload), channel)).toEqual([
      {
        kind: 'inbound',
        eventKey: 'wamid.bsuid1',
        channelId: channel.id,
        providerMessageId: 'wamid.bsuid1',
        from: { address: 'US.13491208655302741918', name: 'Sheena Nelson' },
        at: at.toISOString(),
        content: { type: 'text', text: 'Hi from a username' },
      },
    ]);
  });

  test('a parent BSUID names its sender too, and the contact names them when the message does not', () => {
    const value = inboundTextFromUsername(
      { userId: 'US.ENT.11815799212886844830', username: 'ada', name: 'Ada' },
      'wamid.bsuid2',
      'Hello',
      at,
    );
    delete (value.messages[0] as { from_user_id?: string }).from_user_id;
    const [event] = whatsappMetaCallbacks.parse(
      JSON.stringify(whatsappWebhook(WHATSAPP_TEST_IDS, value)),
      channel,
    );
    expect(event).toMatchObject({
      kind: 'inbound',
      from: { address: 'US.ENT.11815799212886844830', name: 'Ada' },
    });
  });

  test('with both a phone and a BSUID, the sender stays their E.164 phone, also known by the BSUID', () => {
    const payload = whatsappWebhook(
      WHATSAPP_TEST_IDS,
      inboundText(
        { waId: '16505551234', name: 'Sheena Nelson', userId: 'US.13491208655302741918' },
        'wamid.both',
        'Hi',
        at,
      ),
    );
    const [event] = whatsappMetaCallbacks.parse(JSON.stringify(payload), channel);
    expect(event).toMatchObject({
      from: {
        address: '+16505551234',
        name: 'Sheena Nelson',
        otherAddress: 'US.13491208655302741918',
      },
    });
  });

  test('a message with neither a phone nor a well-formed BSUID is skipped', () => {
    for (const userId of ['13491208655302741918', 'usa.123', 'US.', `US.${'1'.repeat(129)}`]) {
      const value = inboundTextFromUsername({ userId, username: 'x', name: 'X' }, 'wamid.x', 'hi');
      const body = JSON.stringify(whatsappWebhook(WHATSAPP_TEST_IDS, value));
      expect(whatsappMetaCallbacks.parse(body, channel), userId).toEqual([]);
    }
  });

  test('statuses carry our delivery id and, when failed, the reason from the failure table', () => {
    const deliveryId = '11111111-2222-4333-8444-555555555555';
    const failed = whatsappWebhook(
      WHATSAPP_TEST_IDS,
      messageStatus('failed', { id: 'wamid.out1', recipient: '+16505551234', deliveryId }, at, {
        code: 131026,
        title: 'Message undeliverable',
        details: 'The recipient is not on WhatsApp',
      }),
    );
    expect(whatsappMetaCallbacks.parse(JSON.stringify(failed), channel)).toEqual([
      {
        kind: 'status',
        eventKey: 'wamid.out1:failed',
        channelId: channel.id,
        providerMessageId: 'wamid.out1',
        deliveryId,
        status: 'failed',
        at: at.toISOString(),
        failure: {
          reason: 'recipient_unavailable',
          detail: expect.stringContaining('131026'),
        },
      },
    ]);
    const delivered = whatsappWebhook(
      WHATSAPP_TEST_IDS,
      messageStatus('delivered', { id: 'wamid.out1', recipient: '+16505551234' }, at),
    );
    expect(whatsappMetaCallbacks.parse(JSON.stringify(delivered), channel)).toMatchObject([
      { kind: 'status', status: 'delivered', deliveryId: null, failure: null },
    ]);
  });

  test('media and other message types keep what a conversation needs', () => {
    const payload = whatsappWebhook(WHATSAPP_TEST_IDS, {
      contacts: [{ profile: { name: 'Ada' }, wa_id: '16505551234' }],
      messages: [
        {
          from: '16505551234',
          id: 'wamid.img',
          timestamp: '1893578400',
          type: 'image',
          image: { id: 'media-1', mime_type: 'image/jpeg', sha256: 'x', caption: 'Look' },
        },
        {
          from: '16505551234',
          id: 'wamid.loc',
          timestamp: '1893578400',
          type: 'location',
          location: {},
        },
      ],
    });
    expect(
      whatsappMetaCallbacks
        .parse(JSON.stringify(payload), channel)
        .map((e) => e.kind === 'inbound' && e.content),
    ).toEqual([
      {
        type: 'media',
        mediaType: 'image',
        caption: 'Look',
        fileName: null,
        mimeType: 'image/jpeg',
        providerMediaId: 'media-1',
      },
      { type: 'other', providerType: 'location', text: null },
    ]);
  });

  test('events for another business number, other objects and unknown statuses are skipped', () => {
    const other = whatsappWebhook(
      { ...WHATSAPP_TEST_IDS, phoneNumberId: '999' },
      inboundText({ waId: '16505551234', name: 'Ada' }, 'wamid.x', 'hi'),
    );
    expect(whatsappMetaCallbacks.parse(JSON.stringify(other), channel)).toEqual([]);
    expect(
      whatsappMetaCallbacks.parse(JSON.stringify({ object: 'page', entry: [] }), channel),
    ).toEqual([]);
    expect(whatsappMetaCallbacks.parse('not json', channel)).toEqual([]);
    const played = whatsappWebhook(WHATSAPP_TEST_IDS, {
      statuses: [{ id: 'wamid.v', status: 'played', timestamp: '1893578400', recipient_id: '1' }],
    });
    expect(whatsappMetaCallbacks.parse(JSON.stringify(played), channel)).toEqual([]);
  });
});

describe('system messages reporting a new business-scoped user ID', () => {
  const change = {
    name: 'Sheena Nelson',
    previousUserId: 'US.13491208655302741918',
    userId: 'US.24817305912873645029',
  };
  const parse = (value: Record<string, unknown>) =>
    whatsappMetaCallbacks.parse(JSON.stringify(whatsappWebhook(WHATSAPP_TEST_IDS, value)), channel);

  test('user_changed_user_id moves the address from the previous BSUID to the new one, and is no inbound message', () => {
    expect(parse(userChangedUserId(change, 'wamid.sys1', at))).toEqual([
      {
        kind: 'address_change',
        eventKey: 'wamid.sys1:user_id',
        channelId: channel.id,
        previous: 'US.13491208655302741918',
        current: 'US.24817305912873645029',
        at: at.toISOString(),
      },
    ]);
  });

  test('a parent BSUID that changed is a second change, keyed apart', () => {
    const events = parse(
      userChangedUserId(
        {
          ...change,
          previousParentUserId: 'US.ENT.11815799212886844830',
          parentUserId: 'US.ENT.22926800323997955941',
        },
        'wamid.sys2',
        at,
      ),
    );
    expect(events.map((event) => event.eventKey)).toEqual([
      'wamid.sys2:user_id',
      'wamid.sys2:parent_user_id',
    ]);
    expect(events[1]).toMatchObject({
      kind: 'address_change',
      previous: 'US.ENT.11815799212886844830',
      current: 'US.ENT.22926800323997955941',
    });
  });

  test('user_changed_number moves the phone identity to the new WhatsApp ID and the BSUID it regenerated, and records no message from the old number', () => {
    const value = userChangedNumber(
      { ...change, fromWaId: '16505551234', waId: '12195555358' },
      'wamid.sys3',
      at,
    );
    expect(parse(value)).toEqual([
      {
        kind: 'address_change',
        eventKey: 'wamid.sys3:wa_id',
        channelId: channel.id,
        previous: '+16505551234',
        current: '+12195555358',
        at: at.toISOString(),
      },
      {
        kind: 'address_change',
        eventKey: 'wamid.sys3:user_id',
        channelId: channel.id,
        previous: 'US.13491208655302741918',
        current: 'US.24817305912873645029',
        at: at.toISOString(),
      },
    ]);
  });

  test('address changes come before the messages of the same webhook, so the first queue batch carries them', () => {
    const message = inboundText({ waId: '12195555358', name: 'Sheena' }, 'wamid.new1', 'hi', at);
    const moved = userChangedNumber(
      { ...change, fromWaId: '16505551234', waId: '12195555358' },
      'wamid.sys8',
      at,
    );
    const value = {
      contacts: message.contacts,
      messages: [...message.messages, ...(moved.messages as unknown[])],
    };
    expect(parse(value).map((event) => event.kind)).toEqual([
      'address_change',
      'address_change',
      'inbound',
    ]);
  });

  test("a number change as the reference's example shows it (no BSUIDs) moves the phone identity, also without business-scoped user IDs; a malformed or unchanged number moves nothing", () => {
    const example = {
      messages: [
        {
          from: '16505551234',
          id: 'wamid.sys7',
          timestamp: String(at.getTime() / 1000),
          type: 'system',
          system: {
            body: 'User Sheena Nelson changed from 16505551234 to 12195555358',
            wa_id: '12195555358',
            type: 'user_changed_number',
          },
        },
      ],
    };
    const moved = [
      {
        kind: 'address_change',
        eventKey: 'wamid.sys7:wa_id',
        channelId: channel.id,
        previous: '+16505551234',
        current: '+12195555358',
        at: at.toISOString(),
      },
    ];
    expect(parse(example)).toEqual(moved);
    const body = JSON.stringify(whatsappWebhook(WHATSAPP_TEST_IDS, example));
    expect(cloudApiEvents(body, channel, null)).toEqual(moved);
    const cases: [string | null, string][] = [
      ['16505551234', '16505551234'],
      ['+16505551234', '12195555358'],
      ['16505551234', 'US.24817305912873645029'],
      [null, '12195555358'],
    ];
    for (const [from, waId] of cases) {
      const changed = structuredClone(example);
      const [message] = changed.messages;
      if (from === null) delete (message as { from?: string }).from;
      else message!.from = from;
      message!.system.wa_id = waId;
      expect(parse(changed), `${from} → ${waId}`).toEqual([]);
    }
  });

  test('nothing moves without both BSUIDs well formed and different, for another system type, or for another number', () => {
    const system = (fields: Record<string, unknown>) => ({
      messages: [
        {
          id: 'wamid.sys4',
          timestamp: String(at.getTime() / 1000),
          type: 'system',
          system: { body: 'changed', type: 'user_changed_user_id', ...fields },
        },
      ],
    });
    for (const fields of [
      { user_id: change.userId },
      { previous_user_id: change.previousUserId },
      { previous_user_id: change.previousUserId, user_id: change.previousUserId },
      { previous_user_id: 'us.1349', user_id: change.userId },
      { previous_user_id: change.previousUserId, user_id: '12195555358' },
      { previous_user_id: change.previousUserId, user_id: change.userId, type: 'customer_changed' },
    ]) {
      expect(parse(system(fields)), JSON.stringify(fields)).toEqual([]);
    }
    const otherNumber = whatsappWebhook(
      { ...WHATSAPP_TEST_IDS, phoneNumberId: '999' },
      userChangedUserId(change, 'wamid.sys5', at),
    );
    expect(whatsappMetaCallbacks.parse(JSON.stringify(otherNumber), channel)).toEqual([]);
  });

  test('a Cloud API parser without business-scoped user IDs (the flag off) ignores it', () => {
    const body = JSON.stringify(
      whatsappWebhook(WHATSAPP_TEST_IDS, userChangedUserId(change, 'wamid.sys6', at)),
    );
    expect(cloudApiEvents(body, channel, null)).toEqual([]);
  });
});

describe('timestamps no Date or Postgres can hold', () => {
  test('skip their entry, not the webhook: nothing throws (a 500 would make Meta retry forever)', () => {
    const good = { waId: '16505551234', name: 'Ada' };
    const payload = whatsappWebhook(WHATSAPP_TEST_IDS, {
      contacts: [{ profile: { name: 'Ada' }, wa_id: '16505551234' }],
      messages: [
        // Beyond a Date (±8.64e15 ms), past the year 9999, and a well-formed one.
        ...['1e13', 1e300, '1e12', '253402300800'].map((timestamp, index) => ({
          ...inboundText(good, `wamid.bad${index}`, 'hi', at).messages[0],
          timestamp,
        })),
        inboundText(good, 'wamid.good', 'hi', at).messages[0],
      ],
      statuses: [
        {
          ...messageStatus('read', { id: 'wamid.o1', recipient: '+1650' }).statuses[0],
          timestamp: '1e13',
        },
        {
          ...messageStatus('read', { id: 'wamid.o2', recipient: '+1650' }).statuses[0],
          timestamp: '999999999999',
        },
        messageStatus('delivered', { id: 'wamid.o3', recipient: '+1650' }, at).statuses[0],
      ],
    });
    const system = whatsappWebhook(WHATSAPP_TEST_IDS, {
      messages: [
        {
          ...userChangedNumber(
            {
              name: 'Ada',
              fromWaId: '16505551234',
              waId: '16505559999',
              previousUserId: 'US.1',
              userId: 'US.2',
            },
            'wamid.sys',
          ).messages[0],
          timestamp: '1e13',
        },
      ],
    });
    expect(
      whatsappMetaCallbacks
        .parse(JSON.stringify(payload), channel)
        .map((event) => [
          event.kind,
          'providerMessageId' in event && event.providerMessageId,
          event.at,
        ]),
    ).toEqual([
      ['status', 'wamid.o3', at.toISOString()],
      ['inbound', 'wamid.good', at.toISOString()],
    ]);
    expect(whatsappMetaCallbacks.parse(JSON.stringify(system), channel)).toEqual([]);
  });
});

describe('locations, contact cards and reactions keep what the user sent', () => {
  test('their text is the place or coordinates, the names and phones, the emoji', () => {
    const base = { from: '16505551234', timestamp: '1893578400' };
    const payload = whatsappWebhook(WHATSAPP_TEST_IDS, {
      contacts: [{ profile: { name: 'Ada' }, wa_id: '16505551234' }],
      messages: [
        {
          ...base,
          id: 'wamid.place',
          type: 'location',
          location: { latitude: 37.48, longitude: -122.15, name: 'Cafe', address: '1 Main St' },
        },
        {
          ...base,
          id: 'wamid.pin',
          type: 'location',
          location: { latitude: 37.48, longitude: -122.15 },
        },
        {
          ...base,
          id: 'wamid.cards',
          type: 'contacts',
          contacts: [
            {
              name: { formatted_name: 'Grace Hopper', first_name: 'Grace' },
              phones: [{ phone: '+1 555 0100', wa_id: '15550100', type: 'CELL' }],
            },
            { name: { formatted_name: 'Alan Turing' } },
          ],
        },
        {
          ...base,
          id: 'wamid.react',
          type: 'reaction',
          reaction: { message_id: 'wamid.out', emoji: '👍' },
        },
        { ...base, id: 'wamid.unreact', type: 'reaction', reaction: { message_id: 'wamid.out' } },
      ],
    });
    expect(
      whatsappMetaCallbacks
        .parse(metaWebhookBody(payload), channel)
        .map((e) => e.kind === 'inbound' && e.content),
    ).toEqual([
      { type: 'other', providerType: 'location', text: 'Cafe, 1 Main St' },
      { type: 'other', providerType: 'location', text: '37.48, -122.15' },
      { type: 'other', providerType: 'contacts', text: 'Grace Hopper +1 555 0100; Alan Turing' },
      { type: 'other', providerType: 'reaction', text: '👍' },
      { type: 'other', providerType: 'reaction', text: null },
    ]);
  });
});
