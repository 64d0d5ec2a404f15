import { describe, expect, test } from 'vitest';
import {
  inboundText,
  inboundTextFromUsername,
  messageStatus,
  userChangedUserId,
  whatsappWebhook,
} from '../../../test/fakes/meta-webhooks';
import type { CallbackChannel } from '../callbacks';
import { whatsapp360dialogCallbacks } from './callbacks';

const channel: CallbackChannel = {
  id: 'channel-360dialog',
  type: 'whatsapp',
  provider: 'dialog360',
  name: 'WhatsApp (360dialog)',
  settings: {},
  credentials: { apiKey: 'd360-test-api-key' },
  callbackToken: 'callback-token-0123456789abcdef',
};
const URL = `https://sendflow.example.com/callbacks/dialog360/${channel.id}`;
const ids = { businessAccountId: '1', phoneNumberId: '2' };
const body = JSON.stringify(
  whatsappWebhook(ids, inboundText({ waId: '16505551234', name: 'Ada' }, 'wamid.in', 'hi')),
);

function verify(token: string | null, on = channel) {
  const headers = new Headers(token === null ? {} : { 'x-sendflow-token': token });
  return whatsapp360dialogCallbacks.verify(
    { headers, body: new TextEncoder().encode(body), url: URL },
    on,
  );
}

describe('the callback token 360dialog sends as a header', () => {
  test("holds when it is the channel's token", async () => {
    expect(await verify(channel.callbackToken)).toBe('ok');
  });

  test('is missing without the header, invalid when wrong, and nothing holds for a channel without a token', async () => {
    expect(await verify(null)).toBe('missing');
    expect(await verify('callback-token-guess')).toBe('invalid');
    expect(await verify(channel.callbackToken, { ...channel, callbackToken: null })).toBe(
      'invalid',
    );
  });
});

describe('payloads in the Cloud API webhook format', () => {
  test('inbound messages and statuses become events, whatever phone number id they carry', () => {
    const status = whatsappWebhook(
      ids,
      messageStatus('delivered', { id: 'wamid.out', recipient: '+16505551234' }),
    );
    const events = [
      ...whatsapp360dialogCallbacks.parse(body, channel),
      ...whatsapp360dialogCallbacks.parse(JSON.stringify(status), channel),
    ];
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'inbound',
        channelId: channel.id,
        from: { address: '+16505551234', name: 'Ada' },
      }),
      expect.objectContaining({
        kind: 'status',
        status: 'delivered',
        providerMessageId: 'wamid.out',
      }),
    ]);
  });

  test('a message from a user known only by a business-scoped user ID names them by it, with their profile name; one that also carries their phone names them by the phone', () => {
    const parse = (value: Record<string, unknown>) =>
      whatsapp360dialogCallbacks.parse(JSON.stringify(whatsappWebhook(ids, value)), channel);
    const userId = 'US.13491208655302741918';
    expect(
      parse(inboundTextFromUsername({ userId, username: 'ada', name: 'Ada' }, 'wamid.bsuid', 'hi')),
    ).toEqual([
      expect.objectContaining({
        kind: 'inbound',
        eventKey: 'wamid.bsuid',
        channelId: channel.id,
        from: { address: userId, name: 'Ada' },
        content: { type: 'text', text: 'hi' },
      }),
    ]);
    expect(
      parse(inboundText({ waId: '16505551234', name: 'Ada', userId }, 'wamid.both', 'hi')),
    ).toEqual([
      // The BSUID goes along: an identity at it (from a message without the phone) is theirs.
      expect.objectContaining({
        kind: 'inbound',
        from: { address: '+16505551234', name: 'Ada', otherAddress: userId },
      }),
    ]);
  });

  test("a system message reporting a user's new BSUID moves their address, as through Meta", () => {
    const value = userChangedUserId(
      {
        name: 'Ada',
        previousUserId: 'US.13491208655302741918',
        userId: 'US.24817305912873645029',
      },
      'wamid.sys',
      new Date('2030-01-02T10:00:00Z'),
    );
    expect(
      whatsapp360dialogCallbacks.parse(JSON.stringify(whatsappWebhook(ids, value)), channel),
    ).toEqual([
      {
        kind: 'address_change',
        eventKey: 'wamid.sys:user_id',
        channelId: channel.id,
        previous: 'US.13491208655302741918',
        current: 'US.24817305912873645029',
        at: '2030-01-02T10:00:00.000Z',
      },
    ]);
  });

  test('a replayed webhook yields the same event keys (one effect downstream)', () => {
    const first = whatsapp360dialogCallbacks.parse(body, channel);
    expect(whatsapp360dialogCallbacks.parse(body, channel).map((e) => e.eventKey)).toEqual(
      first.map((e) => e.eventKey),
    );
  });
});
