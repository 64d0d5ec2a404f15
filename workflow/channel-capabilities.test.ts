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
  it('gives WhatsApp, Messenger and Instagram a 24-hour messaging window and no other channel one', () => {
    const windows = Object.fromEntries(
      CHANNEL_TYPES.map((type) => [type, CHANNEL_CAPABILITIES[type].window?.hours ?? null]),
    );
    expect(windows).toEqual({
      email: null,
      whatsapp: 24,
      messenger: 24,
      instagram: 24,
      telegram: null,
      sms: null,
      line: null,
      viber: null,
      custom: null,
    });
  });

  it('lets templates and tagged messages out of the window, and nothing else', () => {
    expect(CHANNEL_CAPABILITIES.whatsapp.window?.exemptTypes).toEqual(['whatsapp_template']);
    expect(CHANNEL_CAPABILITIES.messenger.window?.exemptTypes).toEqual(['messenger_tagged']);
    expect(CHANNEL_CAPABILITIES.instagram.window?.exemptTypes).toEqual([]);
  });

  it('addresses contacts by e-mail, phone or channel identity', () => {
    const recipients = Object.fromEntries(
      CHANNEL_TYPES.map((type) => [type, CHANNEL_CAPABILITIES[type].recipient]),
    );
    expect(recipients).toEqual({
      email: 'email',
      whatsapp: 'phone',
      messenger: 'identity',
      instagram: 'identity',
      telegram: 'identity',
      sms: 'phone',
      line: 'identity',
      viber: 'identity',
      custom: 'identity',
    });
  });
});
