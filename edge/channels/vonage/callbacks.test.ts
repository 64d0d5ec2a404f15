import { describe, expect, test } from 'vitest';
import {
  signedWebhook,
  type VonageSigning,
  whatsappInboundLocation,
} from '../../../test/fakes/vonage';
import type { CallbackChannel } from '../callbacks';
import { vonageCallbacks } from './callbacks';
import { VONAGE_TEST_IDS, vonageChannel } from './test-fixtures';

const sms = vonageCallbacks('sms');
const channel: CallbackChannel = { ...vonageChannel('sms', 'unused'), callbackToken: null };
const URL = `https://sendflow.example.com/callbacks/vonage/${channel.id}`;
const deliveryId = '11111111-2222-4333-8444-555555555555';

const status = (state: string, extra: Record<string, unknown> = {}) => ({
  message_uuid: 'aaaaaaaa-0000-4000-8000-000000000001',
  to: '447700900123',
  from: '447700900001',
  timestamp: '2030-01-02T10:00:00.000Z',
  status: state,
  channel: 'sms',
  client_ref: deliveryId,
  ...extra,
});

function verify(payload: unknown, signing: VonageSigning, options = {}) {
  const { headers, body } = signedWebhook(
    payload,
    VONAGE_TEST_IDS.signatureSecret,
    signing,
    options,
  );
  return sms.verify(
    { headers: new Headers(headers), body: new TextEncoder().encode(body), url: URL },
    channel,
  );
}

describe('the signed JWT on Vonage webhooks', () => {
  test('holds when signed HS256 with the signature secret over this body', async () => {
    expect(await verify(status('delivered'), 'valid')).toBe('ok');
  });

  test('is missing without a bearer token; invalid when forged or its payload_hash is of another body', async () => {
    expect(await verify(status('delivered'), 'missing')).toBe('missing');
    expect(await verify(status('delivered'), 'forged')).toBe('invalid');
    expect(
      await verify(status('delivered'), 'valid', { hashOf: JSON.stringify(status('read')) }),
    ).toBe('invalid');
  });

  test('a replay signed an hour ago is refused', async () => {
    expect(await verify(status('delivered'), 'stale')).toBe('invalid');
  });

  test('nothing verifies for a channel without a signature secret', async () => {
    const { headers, body } = signedWebhook(status('delivered'), '');
    expect(
      await sms.verify(
        { headers: new Headers(headers), body: new TextEncoder().encode(body), url: URL },
        { ...channel, credentials: {} },
      ),
    ).toBe('invalid');
  });
});

describe('payloads become provider-neutral events', () => {
  test('a status carries our delivery id from client_ref; undeliverable is failed with its reason', () => {
    const [event] = sms.parse(
      JSON.stringify(
        status('undeliverable', {
          error: {
            type: 'https://developer.vonage.com/api-errors/messages#1050',
            title: 'Number barred',
            detail: 'The number is blacklisted',
          },
        }),
      ),
      channel,
    );
    expect(event).toEqual({
      kind: 'status',
      eventKey: 'aaaaaaaa-0000-4000-8000-000000000001:failed',
      channelId: channel.id,
      providerMessageId: 'aaaaaaaa-0000-4000-8000-000000000001',
      deliveryId,
      status: 'failed',
      at: '2030-01-02T10:00:00.000Z',
      failure: {
        reason: 'recipient_unavailable',
        detail: 'Vonage error 1050: Number barred: The number is blacklisted',
      },
    });
  });

  test('without an error code, undeliverable is the provider’s trouble and rejected a refusal', () => {
    // Vonage docs, "Messages API Status Callbacks": undeliverable "means that Messages API was
    // unable to connect to the messaging provider. This may be due to a messaging provider
    // outage or other incident"; nothing says the recipient cannot get it.
    const failureOf = (state: string) => {
      const [event] = sms.parse(JSON.stringify(status(state)), channel);
      return event?.kind === 'status' ? event.failure : undefined;
    };
    expect(failureOf('undeliverable')).toEqual({
      reason: 'network',
      detail: 'Vonage reported the message undeliverable',
    });
    expect(failureOf('rejected')).toEqual({
      reason: 'rejected_by_provider',
      detail: 'Vonage reported the message rejected',
    });
  });

  test('submitted, delivered and read map to ours', () => {
    const events = ['submitted', 'delivered', 'read'].flatMap((state) =>
      sms.parse(JSON.stringify(status(state)), channel),
    );
    expect(events.map((event) => event.kind === 'status' && event.status)).toEqual([
      'sent',
      'delivered',
      'read',
    ]);
  });

  test('an inbound message names its sender in E.164; another channel’s payload is not ours', () => {
    const inbound = {
      channel: 'sms',
      message_uuid: 'bbbbbbbb-0000-4000-8000-000000000002',
      to: '447700900001',
      from: '447700900456',
      timestamp: '2030-01-02T10:05:00Z',
      message_type: 'text',
      text: 'Hello',
    };
    expect(sms.parse(JSON.stringify(inbound), channel)).toEqual([
      expect.objectContaining({
        kind: 'inbound',
        from: { address: '+447700900456', name: null },
        content: { type: 'text', text: 'Hello' },
      }),
    ]);
    expect(sms.parse(JSON.stringify({ ...inbound, channel: 'whatsapp' }), channel)).toEqual([]);
  });
});

describe('a WhatsApp location is recorded as on the other channels', () => {
  const whatsapp = vonageCallbacks('whatsapp');
  const waChannel: CallbackChannel = {
    ...vonageChannel('whatsapp', 'unused'),
    callbackToken: null,
  };
  const parseLocation = (location: Record<string, unknown>, profileName?: string) =>
    whatsapp.parse(
      JSON.stringify(whatsappInboundLocation({ from: '447700900456', location, profileName })),
      waChannel,
    );

  test('a place is its name and address', () => {
    expect(
      parseLocation(
        {
          lat: 37.44216251868683,
          long: -122.16153582049394,
          name: 'Philz Coffee',
          address: '101 Forest Ave, Palo Alto, CA 94301',
        },
        'Sheena Nelson',
      ),
    ).toEqual([
      expect.objectContaining({
        kind: 'inbound',
        from: { address: '+447700900456', name: 'Sheena Nelson' },
        content: {
          type: 'other',
          providerType: 'location',
          text: 'Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301',
        },
      }),
    ]);
  });

  test('a dropped pin is its coordinates, read from lat and long', () => {
    const [pin] = parseLocation({ lat: 51.5132, long: -0.2198 });
    expect(pin).toMatchObject({
      content: { type: 'other', providerType: 'location', text: '51.5132, -0.2198' },
    });
    // Coordinates as numeric text read the same.
    const [quoted] = parseLocation({ lat: '51.5132', long: '-0.2198' });
    expect(quoted).toMatchObject({ content: { text: '51.5132, -0.2198' } });
  });

  test('a malformed location records what is valid and never makes the callback fail', () => {
    const malformed: unknown[] = [
      { lat: 'north', long: 10 },
      { lat: 91, long: 10 },
      { lat: 10, long: 181 },
      { lat: '9'.repeat(400), long: 1 },
      { lat: [51], long: { value: 0 } },
      { lat: null, long: true },
      { latitude: 51.5, longitude: -0.2 },
      {},
    ];
    for (const location of malformed) {
      const events = parseLocation(location as Record<string, unknown>);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        kind: 'inbound',
        content: { type: 'other', providerType: 'location', text: null },
      });
    }
    for (const location of ['here', 42, null, [1, 2]]) {
      const payload = {
        ...whatsappInboundLocation({ from: '447700900456', location: {} }),
        location,
      };
      expect(whatsapp.parse(JSON.stringify(payload), waChannel)).toEqual([
        expect.objectContaining({
          content: { type: 'other', providerType: 'location', text: null },
        }),
      ]);
    }
    // A number past what a double holds parses as Infinity, which is no coordinate.
    const huge = JSON.stringify(
      whatsappInboundLocation({ from: '447700900456', location: { lat: 0, long: 1 } }),
    ).replace('"lat":0', `"lat":1${'0'.repeat(400)}`);
    expect(whatsapp.parse(huge, waChannel)).toEqual([
      expect.objectContaining({ content: { type: 'other', providerType: 'location', text: null } }),
    ]);
    const [named] = parseLocation({ lat: 'x', long: 'y', name: 7, address: 'Pier 39' });
    expect(named).toMatchObject({ content: { text: 'Pier 39' } });
  });
});
