import { describe, expect, test } from 'vitest';
import type { CallbackChannel } from '../channels/callbacks';
import { lineMessagingCallbacks } from '../channels/line-messaging/callbacks';
import { LINE_TEST, lineChannel } from '../channels/line-messaging/test-fixtures';
import { messengerMetaCallbacks } from '../channels/messenger-meta/callbacks';
import {
  MESSENGER_TEST_PAGE,
  messengerChannel,
  TEST_PSID,
} from '../channels/messenger-meta/test-fixtures';
import { twilioCallbacks } from '../channels/twilio/callbacks';
import { TWILIO_TEST_IDS, twilioChannel } from '../channels/twilio/test-fixtures';
import { viberBotCallbacks } from '../channels/viber-bot/callbacks';
import { VIBER_TEST, viberChannel } from '../channels/viber-bot/test-fixtures';
import { vonageCallbacks } from '../channels/vonage/callbacks';
import { vonageChannel } from '../channels/vonage/test-fixtures';

/**
 * What a callback parses into goes on the callbacks queue and must be plain data. A provider's
 * value named like an Object.prototype member (`constructor`, `toString`, `valueOf`) once read a
 * function out of a lookup table into the event: a status whose status was a function, media
 * whose media type was one (recorded without a media type; Node's structured clone refuses such
 * an event outright). Such a value is one the table does not know: no status, `other` content.
 */

const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'] as const;
const at = Date.parse('2030-01-02T10:00:00Z');

function queueable(events: unknown[]): unknown[] {
  // Throws DataCloneError for a function anywhere in the events.
  return structuredClone(events);
}

describe('a provider value named like an Object.prototype member', () => {
  test('Viber: an event so named is not a status; a message type so named is kept as other', () => {
    const channel: CallbackChannel = { ...viberChannel(), callbackToken: null };
    for (const name of NAMES) {
      const status = JSON.stringify({
        event: name,
        timestamp: at,
        message_token: 4912661846655238,
        user_id: VIBER_TEST.userId,
      });
      expect(queueable(viberBotCallbacks.parse(status, channel))).toEqual([]);
      const message = JSON.stringify({
        event: 'message',
        timestamp: at,
        message_token: 4912661846655239,
        sender: { id: VIBER_TEST.userId, name: 'Ada' },
        message: { type: name, text: 'hi' },
      });
      const events = queueable(viberBotCallbacks.parse(message, channel));
      expect(events).toMatchObject([
        { kind: 'inbound', content: { type: 'other', providerType: name, text: 'hi' } },
      ]);
    }
  });

  test('Twilio: a MessageStatus so named says nothing', () => {
    const channel: CallbackChannel = { ...twilioChannel('sms'), callbackToken: null };
    for (const name of NAMES) {
      const body = new URLSearchParams({
        AccountSid: TWILIO_TEST_IDS.accountSid,
        MessageSid: 'SM00000000000000000000000000000001',
        MessageStatus: name,
      }).toString();
      expect(queueable(twilioCallbacks('sms').parse(body, channel))).toEqual([]);
    }
  });

  test('Vonage: a status so named says nothing; a message type so named is kept as other', () => {
    const channel: CallbackChannel = { ...vonageChannel('sms', 'unused'), callbackToken: null };
    const callbacks = vonageCallbacks('sms');
    for (const name of NAMES) {
      const status = JSON.stringify({
        message_uuid: 'aaaaaaaa-0000-4000-8000-000000000001',
        timestamp: '2030-01-02T10:00:00.000Z',
        status: name,
        channel: 'sms',
      });
      expect(queueable(callbacks.parse(status, channel))).toEqual([]);
      const inbound = JSON.stringify({
        message_uuid: 'aaaaaaaa-0000-4000-8000-000000000002',
        from: '447700900123',
        timestamp: '2030-01-02T10:00:00.000Z',
        channel: 'sms',
        message_type: name,
      });
      expect(queueable(callbacks.parse(inbound, channel))).toMatchObject([
        { kind: 'inbound', content: { type: 'other', providerType: name } },
      ]);
    }
  });

  test('LINE: a message type so named is kept as other', () => {
    const channel: CallbackChannel = { ...lineChannel(), callbackToken: null };
    for (const name of NAMES) {
      const body = JSON.stringify({
        destination: 'Ubot',
        events: [
          {
            type: 'message',
            webhookEventId: `01H${name}`,
            timestamp: at,
            source: { type: 'user', userId: LINE_TEST.userId },
            message: { id: '468789577898262530', type: name },
          },
        ],
      });
      expect(queueable(lineMessagingCallbacks.parse(body, channel))).toMatchObject([
        { kind: 'inbound', content: { type: 'other', providerType: name } },
      ]);
    }
  });

  test('Messenger and Instagram: an attachment type so named is kept as other', () => {
    const channel: CallbackChannel = { ...messengerChannel(), callbackToken: null };
    for (const name of NAMES) {
      const body = JSON.stringify({
        object: 'page',
        entry: [
          {
            id: MESSENGER_TEST_PAGE.pageId,
            time: at,
            messaging: [
              {
                sender: { id: TEST_PSID },
                recipient: { id: MESSENGER_TEST_PAGE.pageId },
                timestamp: at,
                message: {
                  mid: `m_${name}`,
                  attachments: [{ type: name, payload: { url: 'https://example.com/a' } }],
                },
              },
            ],
          },
        ],
      });
      expect(queueable(messengerMetaCallbacks.parse(body, channel))).toMatchObject([
        { kind: 'inbound', content: { type: 'other', providerType: name } },
      ]);
    }
  });
});
