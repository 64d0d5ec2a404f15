import { describe, expect, test } from 'vitest';
import { CHANNEL_INTEGRATIONS, integrationFor, providerOf } from './registry';

describe('the channel registry', () => {
  test('lists each network-through-provider once, with names the API can tell apart', () => {
    const pairs = CHANNEL_INTEGRATIONS.map(
      ({ definition }) => `${definition.type}:${definition.provider}`,
    );
    expect(new Set(pairs).size).toBe(pairs.length);
    for (const name of ['key', 'settingsType', 'credentialsInput'] as const) {
      const names = CHANNEL_INTEGRATIONS.map(({ definition }) => definition.api[name]);
      expect(new Set(names).size, name).toBe(names.length);
    }
  });

  test("a channel saved before providers existed goes through its type's first integration", () => {
    expect(providerOf({ type: 'email', provider: null })).toBe('smtp');
    expect(providerOf({ type: 'whatsapp', provider: null })).toBe('meta');
    expect(providerOf({ type: 'whatsapp', provider: 'meta' })).toBe('meta');
    expect(integrationFor('whatsapp')?.definition.label).toBe('WhatsApp (Meta Cloud API)');
    expect(integrationFor('whatsapp', 'twilio')?.definition.label).toBe('WhatsApp (Twilio)');
    expect(integrationFor('sms', 'meta')).toBeUndefined();
    expect(integrationFor('telegram', 'meta')).toBeUndefined();
  });

  test('implemented integrations whose providers report delivery take callbacks (others may, for inbound)', () => {
    for (const { definition, adapter, callbacks } of CHANNEL_INTEGRATIONS) {
      if (adapter && definition.deliveryReceipts) expect(callbacks, definition.label).toBeDefined();
    }
  });
});
