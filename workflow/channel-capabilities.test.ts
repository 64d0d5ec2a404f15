import { describe, expect, it } from 'vitest';
import { CHANNEL_CAPABILITIES, canSend } from './channel-capabilities';
import { CHANNEL_TYPES } from './channel-types';

describe('canSend', () => {
  it('lets every channel send text and media', () => {
    for (const type of CHANNEL_TYPES) {
      expect(canSend(type, 'text')).toBe(true);
      expect(canSend(type, 'media')).toBe(true);
    }
  });

  it('allows WhatsApp templates only on WhatsApp', () => {
    expect(CHANNEL_TYPES.filter((type) => canSend(type, 'whatsapp_template'))).toEqual([
      'whatsapp',
    ]);
  });

  it('allows Messenger tagged messages only on Messenger', () => {
    expect(CHANNEL_TYPES.filter((type) => canSend(type, 'messenger_tagged'))).toEqual([
      'messenger',
    ]);
  });

  it('returns false for an unknown channel type', () => {
    expect(canSend('fax' as never, 'text')).toBe(false);
  });
});

describe('CHANNEL_CAPABILITIES', () => {
  it('gives WhatsApp and Messenger a 24-hour messaging window and no other channel one', () => {
    const windows = Object.fromEntries(
      CHANNEL_TYPES.map((type) => [type, CHANNEL_CAPABILITIES[type].messagingWindowHours]),
    );
    expect(windows).toEqual({
      email: null,
      whatsapp: 24,
      messenger: 24,
      telegram: null,
      sms: null,
      custom: null,
    });
  });

  it('addresses contacts by e-mail, phone or channel identity', () => {
    const recipients = Object.fromEntries(
      CHANNEL_TYPES.map((type) => [type, CHANNEL_CAPABILITIES[type].recipient]),
    );
    expect(recipients).toEqual({
      email: 'email',
      whatsapp: 'phone',
      messenger: 'identity',
      telegram: 'identity',
      sms: 'phone',
      custom: 'identity',
    });
  });
});
