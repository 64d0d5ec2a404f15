import { describe, expect, test } from 'vitest';
import { telegramTextUpdate } from '../../../test/fakes/telegram-bot-api';
import type { CallbackChannel } from '../callbacks';
import { telegramBotCallbacks } from './callbacks';
import { telegramChannel } from './test-fixtures';

const channel: CallbackChannel = { ...telegramChannel(), callbackToken: 'secret_Token-0123456789' };
const at = new Date('2030-01-02T10:00:00Z');
const encoder = new TextEncoder();

function verify(token: string | null, on: CallbackChannel = channel) {
  const headers = new Headers(token === null ? {} : { 'x-telegram-bot-api-secret-token': token });
  return telegramBotCallbacks.verify(
    { headers, body: encoder.encode('{}'), url: 'https://sendflow.test/callbacks' },
    on,
  );
}

describe('X-Telegram-Bot-Api-Secret-Token', () => {
  test('holds when it is the secret token set with the webhook', async () => {
    expect(await verify('secret_Token-0123456789')).toBe('ok');
  });

  test('is missing without the header, invalid when different, and nothing holds without a token', async () => {
    expect(await verify(null)).toBe('missing');
    expect(await verify('secret_Token-012345678')).toBe('invalid');
    expect(await verify('guess')).toBe('invalid');
    expect(await verify('anything', { ...channel, callbackToken: null })).toBe('invalid');
  });
});

describe('updates become provider-neutral events', () => {
  test('a private text message names the chat and the person, keyed by the update id', () => {
    const update = telegramTextUpdate(
      4001,
      { id: 523456789, firstName: 'Ada', lastName: 'Lovelace' },
      'Hello bot',
      at,
    );
    expect(telegramBotCallbacks.parse(JSON.stringify(update), channel)).toEqual([
      {
        kind: 'inbound',
        eventKey: 'update:4001',
        channelId: channel.id,
        providerMessageId: '523456789:40010',
        from: { address: '523456789', name: 'Ada Lovelace' },
        at: at.toISOString(),
        content: { type: 'text', text: 'Hello bot' },
      },
    ]);
  });

  test('a photo keeps its largest size and caption; a document its name and type', () => {
    const base = telegramTextUpdate(4002, { id: 5, firstName: 'Ada' }, '', at) as {
      message: Record<string, unknown>;
    };
    const { text: _, ...message } = base.message;
    const photo = {
      update_id: 4002,
      message: {
        ...message,
        caption: 'Look',
        photo: [
          { file_id: 'small', width: 90, height: 90 },
          { file_id: 'large', width: 1280, height: 1280 },
        ],
      },
    };
    const document = {
      update_id: 4003,
      message: {
        ...message,
        document: { file_id: 'doc1', file_name: 'cv.pdf', mime_type: 'application/pdf' },
      },
    };
    expect(
      [photo, document].flatMap((u) => telegramBotCallbacks.parse(JSON.stringify(u), channel)),
    ).toMatchObject([
      {
        content: {
          type: 'media',
          mediaType: 'image',
          caption: 'Look',
          providerMediaId: 'large',
        },
      },
      {
        content: {
          type: 'media',
          mediaType: 'document',
          fileName: 'cv.pdf',
          mimeType: 'application/pdf',
          providerMediaId: 'doc1',
        },
      },
    ]);
  });

  test('group messages, bots, other update kinds and non-JSON are skipped', () => {
    const group = telegramTextUpdate(4004, { id: 5, firstName: 'Ada' }, 'hi', at) as {
      message: Record<string, unknown>;
    };
    group.message.chat = { id: -100123, type: 'supergroup', title: 'Team' };
    const bot = telegramTextUpdate(4005, { id: 6, firstName: 'Bot' }, 'hi', at) as {
      message: { from: Record<string, unknown> };
    };
    bot.message.from.is_bot = true;
    for (const body of [
      JSON.stringify(group),
      JSON.stringify(bot),
      JSON.stringify({ update_id: 4006, edited_message: {} }),
      'not json',
    ]) {
      expect(telegramBotCallbacks.parse(body, channel)).toEqual([]);
    }
  });
});
