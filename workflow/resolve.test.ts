import { describe, expect, it } from 'vitest';
import {
  checkMessagingWindow,
  type IdentityRef,
  type ResolvableChannel,
  type ResolvableContact,
  resolveChannel,
  resolveContent,
} from './resolve';
import type { MessageContent, SendMessageConfig } from './types';

const channelList: ResolvableChannel[] = [
  { id: 'ch_email', type: 'email', status: 'connected' },
  { id: 'ch_wa', type: 'whatsapp', status: 'connected' },
  { id: 'ch_ms', type: 'messenger', status: 'connected' },
  { id: 'ch_tg', type: 'telegram', status: 'connected' },
  { id: 'ch_sms', type: 'sms', status: 'connected' },
  { id: 'ch_custom', type: 'custom', status: 'connected' },
  { id: 'ch_off', type: 'email', status: 'disconnected' },
  { id: 'ch_err', type: 'whatsapp', status: 'error' },
];
const channels = new Map(channelList.map((channel) => [channel.id, channel]));

const contact: ResolvableContact = {
  id: 'contact_1',
  email: 'ada@example.com',
  phone: '+447700900123',
  lastInteractedChannelId: 'ch_wa',
};
const bare: ResolvableContact = { id: 'contact_2' };
const specific = (channelId: string) => ({ kind: 'specific', channelId }) as const;
const lastInteracted = { kind: 'last_interacted' } as const;

describe('resolveChannel', () => {
  it('uses the last interacted channel and the identity there', () => {
    const seen = new Date('2025-01-01T10:00:00Z');
    const identities: IdentityRef[] = [
      { channelId: 'ch_wa', address: '+447700900999', lastInboundAt: seen },
    ];
    expect(resolveChannel(lastInteracted, contact, channels, identities)).toEqual({
      ok: true,
      channel: channels.get('ch_wa'),
      recipient: '+447700900999',
      lastInboundAt: seen,
    });
  });

  it('fails with no associated channel when the contact never interacted', () => {
    const result = resolveChannel(lastInteracted, bare, channels, []);
    expect(result).toMatchObject({ ok: false, reason: 'no_associated_channel' });
  });

  it('fails with no associated channel when the last interacted channel is gone', () => {
    const result = resolveChannel(
      lastInteracted,
      { ...contact, lastInteractedChannelId: 'ch_deleted' },
      channels,
      [],
    );
    expect(result).toMatchObject({ ok: false, reason: 'no_associated_channel' });
  });

  it('fails with channel not connected when the chosen channel is disconnected or in error', () => {
    expect(resolveChannel(specific('ch_off'), contact, channels, [])).toMatchObject({
      ok: false,
      reason: 'channel_not_connected',
    });
    expect(
      resolveChannel(
        lastInteracted,
        { ...contact, lastInteractedChannelId: 'ch_err' },
        channels,
        [],
      ),
    ).toMatchObject({ ok: false, reason: 'channel_not_connected' });
  });

  it('fails with channel not connected when a specific channel was deleted', () => {
    expect(resolveChannel(specific('ch_deleted'), contact, channels, [])).toMatchObject({
      ok: false,
      reason: 'channel_not_connected',
    });
  });

  it('falls back to the contact e-mail for e-mail channels', () => {
    expect(resolveChannel(specific('ch_email'), contact, channels, [])).toMatchObject({
      ok: true,
      recipient: 'ada@example.com',
      lastInboundAt: null,
    });
  });

  it('falls back to the contact phone for WhatsApp and SMS', () => {
    for (const channelId of ['ch_wa', 'ch_sms']) {
      expect(resolveChannel(specific(channelId), contact, channels, [])).toMatchObject({
        ok: true,
        recipient: '+447700900123',
      });
    }
  });

  it('names the missing phone number when a WhatsApp contact has none', () => {
    expect(resolveChannel(specific('ch_wa'), bare, channels, [])).toEqual({
      ok: false,
      reason: 'no_associated_channel',
      detail: 'contact has no phone number for WhatsApp',
    });
  });

  it('names the missing e-mail address when an e-mail contact has none', () => {
    expect(resolveChannel(specific('ch_email'), { id: 'c', email: '  ' }, channels, [])).toEqual({
      ok: false,
      reason: 'no_associated_channel',
      detail: 'contact has no e-mail address for Email',
    });
  });

  it('needs an identity on Messenger and Telegram', () => {
    for (const channelId of ['ch_ms', 'ch_tg']) {
      expect(resolveChannel(specific(channelId), contact, channels, [])).toMatchObject({
        ok: false,
        reason: 'no_associated_channel',
      });
    }
    const identities: IdentityRef[] = [
      { channelId: 'ch_tg', address: '99887766', lastInboundAt: null },
    ];
    expect(resolveChannel(specific('ch_tg'), contact, channels, identities)).toMatchObject({
      ok: true,
      recipient: '99887766',
    });
  });

  it('addresses a custom channel by the contact id when there is no identity', () => {
    expect(resolveChannel(specific('ch_custom'), bare, channels, [])).toMatchObject({
      ok: true,
      recipient: 'contact_2',
    });
  });

  it('ignores identities on other channels', () => {
    const identities: IdentityRef[] = [{ channelId: 'ch_tg', address: '123', lastInboundAt: null }];
    expect(resolveChannel(specific('ch_ms'), contact, channels, identities)).toMatchObject({
      ok: false,
      reason: 'no_associated_channel',
    });
  });

  it('falls back to the contact field when the identity address is blank', () => {
    const identities: IdentityRef[] = [{ channelId: 'ch_wa', address: '', lastInboundAt: null }];
    expect(resolveChannel(specific('ch_wa'), contact, channels, identities)).toMatchObject({
      ok: true,
      recipient: '+447700900123',
    });
  });
});

describe('resolveContent', () => {
  const config: SendMessageConfig = {
    channel: lastInteracted,
    defaultMessage: { type: 'text', text: 'Default' },
    channelResponses: [
      {
        channelId: 'ch_wa',
        content: {
          type: 'whatsapp_template',
          templateName: 'hi',
          languageCode: 'en',
          parameters: [],
        },
      },
    ],
    failureBranchEnabled: false,
  };

  it('picks the channel response for the resolved channel', () => {
    expect(resolveContent(config, 'ch_wa')).toEqual({
      content: config.channelResponses[0]?.content,
      source: 'channel_response',
    });
  });

  it('falls back to the default message for other channels', () => {
    expect(resolveContent(config, 'ch_tg')).toEqual({
      content: { type: 'text', text: 'Default' },
      source: 'default',
    });
  });
});

describe('checkMessagingWindow', () => {
  const now = new Date('2025-06-02T12:00:00Z');
  const text = { type: 'text', text: 'hi' } as const;
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);

  it('is open for free-form WhatsApp messages within 24 hours of the last inbound message', () => {
    expect(checkMessagingWindow('whatsapp', text, hoursAgo(23.9), now)).toEqual({ open: true });
  });

  it('is closed for free-form WhatsApp messages 24 hours or more after the last inbound', () => {
    expect(checkMessagingWindow('whatsapp', text, hoursAgo(24), now)).toMatchObject({
      open: false,
    });
    expect(
      checkMessagingWindow('messenger', { type: 'media', fileId: 'f' }, hoursAgo(30), now),
    ).toMatchObject({ open: false });
  });

  it('is closed when the contact never wrote in', () => {
    const result = checkMessagingWindow('whatsapp', text, null, now);
    expect(result.open).toBe(false);
    expect(result.open === false && result.detail).toContain('template');
  });

  it('always allows WhatsApp templates and Messenger tagged messages', () => {
    const template: MessageContent = {
      type: 'whatsapp_template',
      templateName: 'x',
      languageCode: 'en',
      parameters: [],
    };
    const tagged: MessageContent = { type: 'messenger_tagged', tag: 'ACCOUNT_UPDATE', text: 'x' };
    expect(checkMessagingWindow('whatsapp', template, null, now)).toEqual({ open: true });
    expect(checkMessagingWindow('messenger', tagged, hoursAgo(100), now)).toEqual({ open: true });
  });

  it('is always open on channels without a window', () => {
    for (const type of ['email', 'telegram', 'sms', 'custom'] as const) {
      expect(checkMessagingWindow(type, text, null, now)).toEqual({ open: true });
    }
  });
});
