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
  test('a private text message names the chat and the person, keyed by the bot and the update id', () => {
    const update = telegramTextUpdate(
      4001,
      { id: 523456789, firstName: 'Ada', lastName: 'Lovelace' },
      'Hello bot',
      at,
    );
    expect(telegramBotCallbacks.parse(JSON.stringify(update), channel)).toEqual([
      {
        kind: 'inbound',
        eventKey: 'update:7012345678:4001',
        channelId: channel.id,
        providerMessageId: '7012345678:523456789:40010',
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

  test('a venue, a location and a shared contact say what they are, so the conversation shows them', () => {
    const base = telegramTextUpdate(4010, { id: 5, firstName: 'Ada' }, '', at) as {
      message: Record<string, unknown>;
    };
    const { text: _, ...message } = base.message;
    const spot = { latitude: 50.76891, longitude: 6.11499 };
    const updates = [
      { update_id: 4010, message: { ...message, location: spot } },
      {
        update_id: 4011,
        message: {
          ...message,
          location: spot,
          venue: { location: spot, title: 'Aachen Cathedral', address: 'Domhof 1' },
        },
      },
      {
        update_id: 4012,
        message: {
          ...message,
          contact: { phone_number: '+491701234567', first_name: 'Grace', last_name: 'Hopper' },
        },
      },
      { update_id: 4013, message: { ...message, location: { latitude: 91, longitude: 0 } } },
    ];
    expect(
      updates.flatMap((u) => telegramBotCallbacks.parse(JSON.stringify(u), channel)),
    ).toMatchObject([
      { content: { type: 'other', providerType: 'location', text: '50.76891, 6.11499' } },
      { content: { type: 'other', providerType: 'venue', text: 'Aachen Cathedral, Domhof 1' } },
      { content: { type: 'other', providerType: 'contact', text: 'Grace Hopper +491701234567' } },
      // Out of range: no made-up place.
      { content: { type: 'other', providerType: 'location', text: null } },
    ]);
  });

  test('a message whose date is no time is skipped, not thrown on', () => {
    const update = telegramTextUpdate(4007, { id: 5, firstName: 'Ada' }, 'hi', at) as {
      message: Record<string, unknown>;
    };
    // 1e13 s is beyond a JS Date; 1e12 s is the year 33658, which Postgres cannot read.
    for (const date of [1e13, 1e12]) {
      update.message.date = date;
      expect(telegramBotCallbacks.parse(JSON.stringify(update), channel)).toEqual([]);
    }
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

describe('keys name the bot: update and message ids count again for another bot', () => {
  const update = telegramTextUpdate(4001, { id: 523456789, firstName: 'Ada' }, 'Hello', at);
  const otherBot: CallbackChannel = {
    ...channel,
    credentials: { botToken: '7098765432:AAHanother-telegram-bot-token_98765' },
  };

  test("the same update and message ids from the channel's next bot are another event and message", () => {
    const [first] = telegramBotCallbacks.parse(JSON.stringify(update), channel);
    const [second] = telegramBotCallbacks.parse(JSON.stringify(update), otherBot);
    expect(first).toMatchObject({ eventKey: 'update:7012345678:4001' });
    expect(second).toMatchObject({ eventKey: 'update:7098765432:4001' });
    expect(first?.kind === 'inbound' && first.providerMessageId).toBe('7012345678:523456789:40010');
    expect(second?.kind === 'inbound' && second.providerMessageId).toBe(
      '7098765432:523456789:40010',
    );
  });

  test("Telegram's retry of one update is the same event and message", () => {
    const body = JSON.stringify(update);
    expect(telegramBotCallbacks.parse(body, channel)).toEqual(
      telegramBotCallbacks.parse(body, channel),
    );
  });
});

describe('a group that became a supergroup', () => {
  const date = Math.floor(at.getTime() / 1000);
  const group = { id: -4962287234, type: 'group', title: 'Team' };
  const supergroup = { id: -1002855950299, type: 'supergroup', title: 'Team' };
  const user = { id: 5, is_bot: false, first_name: 'Ada' };

  test('migrate_to_chat_id in the old group moves its chat id to the new one', () => {
    const body = JSON.stringify({
      update_id: 5001,
      message: { message_id: 7, from: user, chat: group, date, migrate_to_chat_id: supergroup.id },
    });
    expect(telegramBotCallbacks.parse(body, channel)).toEqual([
      {
        kind: 'address_change',
        eventKey: 'update:7012345678:5001',
        channelId: channel.id,
        previous: '-4962287234',
        current: '-1002855950299',
        at: at.toISOString(),
      },
    ]);
  });

  test('migrate_from_chat_id in the new supergroup says the same', () => {
    const body = JSON.stringify({
      update_id: 5002,
      message: {
        message_id: 1,
        from: user,
        chat: supergroup,
        date,
        migrate_from_chat_id: group.id,
      },
    });
    expect(telegramBotCallbacks.parse(body, channel)).toMatchObject([
      { kind: 'address_change', previous: '-4962287234', current: '-1002855950299' },
    ]);
  });

  test('a migration to the same id, or to an id that is not an exact integer, is skipped', () => {
    for (const to of [group.id, 1.5, '-1002855950299', 2 ** 60]) {
      const body = JSON.stringify({
        update_id: 5003,
        message: { message_id: 8, from: user, chat: group, date, migrate_to_chat_id: to },
      });
      expect(telegramBotCallbacks.parse(body, channel)).toEqual([]);
    }
  });

  test('a private chat never moves: only a group to a supergroup', () => {
    const privateChat = { id: 523456789, type: 'private', first_name: 'Ada' };
    for (const message of [
      { chat: privateChat, migrate_to_chat_id: supergroup.id },
      { chat: privateChat, migrate_from_chat_id: group.id },
      { chat: supergroup, migrate_to_chat_id: -1009999999999 },
      { chat: group, migrate_from_chat_id: -4000000001 },
    ]) {
      const body = JSON.stringify({
        update_id: 5004,
        message: { message_id: 9, from: user, date, ...message },
      });
      expect(
        telegramBotCallbacks.parse(body, channel).filter((event) => event.kind !== 'inbound'),
      ).toEqual([]);
    }
  });
});
