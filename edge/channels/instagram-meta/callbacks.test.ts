import { describe, expect, test } from 'vitest';
import {
  messagingRead,
  messagingText,
  messagingWebhook,
  metaSignature,
} from '../../../test/fakes/meta-webhooks';
import type { CallbackChannel } from '../callbacks';
import { MESSENGER_TEST_PAGE } from '../messenger-meta/test-fixtures';
import { instagramMetaCallbacks } from './callbacks';
import { instagramChannel, TEST_IGSID } from './test-fixtures';

const channel: CallbackChannel = { ...instagramChannel(), callbackToken: 'verify-instagram' };
const account = MESSENGER_TEST_PAGE.instagramAccountId;
const at = new Date('2030-01-02T10:00:00Z');

describe('Instagram webhooks', () => {
  test('a message to the account names its sender by IGSID', () => {
    const payload = messagingWebhook('instagram', account, [
      messagingText(TEST_IGSID, account, 'aWdfZAG1faWQ', 'Do you ship?', at),
    ]);
    expect(instagramMetaCallbacks.parse(JSON.stringify(payload), channel)).toEqual([
      {
        kind: 'inbound',
        eventKey: 'aWdfZAG1faWQ',
        channelId: channel.id,
        providerMessageId: 'aWdfZAG1faWQ',
        from: { address: TEST_IGSID, name: null },
        at: at.toISOString(),
        content: { type: 'text', text: 'Do you ship?' },
      },
    ]);
  });

  test('messaging_seen names the message read', () => {
    const payload = messagingWebhook('instagram', account, [
      messagingRead(TEST_IGSID, account, { mid: 'm_out' }, at),
    ]);
    expect(instagramMetaCallbacks.parse(JSON.stringify(payload), channel)).toEqual([
      expect.objectContaining({ kind: 'status', providerMessageId: 'm_out', status: 'read' }),
    ]);
  });

  test('a Page (Messenger) payload, or another account, is not ours', () => {
    const event = messagingText(TEST_IGSID, account, 'm_x', 'hi');
    expect(
      instagramMetaCallbacks.parse(
        JSON.stringify(messagingWebhook('page', account, [event])),
        channel,
      ),
    ).toEqual([]);
    expect(
      instagramMetaCallbacks.parse(
        JSON.stringify(messagingWebhook('instagram', '1789', [event])),
        channel,
      ),
    ).toEqual([]);
  });

  test('is verified with the app secret, like every Meta webhook', async () => {
    const body = '{"object":"instagram","entry":[]}';
    const verify = (signature: string) =>
      instagramMetaCallbacks.verify(
        {
          headers: new Headers({ 'x-hub-signature-256': signature }),
          body: new TextEncoder().encode(body),
          url: 'https://sendflow.test/callbacks',
        },
        channel,
      );
    expect(await verify(metaSignature(MESSENGER_TEST_PAGE.appSecret, body))).toBe('ok');
    expect(await verify(metaSignature('forged', body))).toBe('invalid');
  });
});

describe('an unsent message', () => {
  test('(`is_deleted`, Webhooks for Instagram Messaging) is not a message from the person', () => {
    const unsent = {
      ...messagingText(TEST_IGSID, account, 'aWdfdeleted', '', at),
      message: { mid: 'aWdfdeleted', is_deleted: true },
    };
    const payload = messagingWebhook('instagram', account, [unsent]);
    expect(instagramMetaCallbacks.parse(JSON.stringify(payload), channel)).toEqual([]);
  });
});
