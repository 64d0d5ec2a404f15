import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  startTelegramBotApi,
  type TelegramBotApi,
  telegramError,
} from '../../../test/fakes/telegram-bot-api';
import { mediaLimitProblem } from '../../../workflow/media-limits';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ProviderEndpoints, RenderedMessage } from '../types';
import { telegramBotDefinition } from './definition';
import { TELEGRAM_TEST, telegramChannel, telegramMessage } from './test-fixtures';

let telegram: TelegramBotApi;
let worker: AdapterWorker;
let endpoints: ProviderEndpoints;

beforeAll(async () => {
  telegram = await startTelegramBotApi({
    token: TELEGRAM_TEST.token,
    chats: { [TELEGRAM_TEST.chatId]: 'active', '600000001': 'blocked' },
  });
  worker = await startAdapterWorker();
  endpoints = { TELEGRAM_API_URL: telegram.url };
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await telegram?.close();
});

beforeEach(() => {
  telegram.requests.length = 0;
  telegram.delivered.length = 0;
});

function send(rendered: RenderedMessage, overrides: Parameters<typeof telegramMessage>[1] = {}) {
  return worker.send(telegramMessage(rendered, overrides), { allowPrivateUrls: false, endpoints });
}

describe('sending through the Telegram Bot API', () => {
  test('a text goes to sendMessage as MarkdownV2, and a name with _ and . arrives exactly as written', async () => {
    const text = 'Hi Ada_Lovelace. Your code is A-1 (50% off)!';
    const outcome = await send({ kind: 'text', text });
    expect(outcome).toEqual({
      status: 'sent',
      providerMessageId: expect.stringMatching(new RegExp(`^${TELEGRAM_TEST.chatId}:\\d+$`)),
    });
    const [request] = telegram.sends();
    expect(request?.path).toBe(`/bot${TELEGRAM_TEST.token}/sendMessage`);
    expect(request?.json).toEqual({
      chat_id: TELEGRAM_TEST.chatId,
      text: 'Hi Ada\\_Lovelace\\. Your code is A\\-1 \\(50% off\\)\\!',
      parse_mode: 'MarkdownV2',
      link_preview_options: { is_disabled: true },
    });
    expect(telegram.delivered.map((message) => message.text)).toEqual([text]);
  });

  test('an image goes to sendPhoto and other files to sendDocument, by URL with the caption', async () => {
    const media = (contentType: string, fileName: string): RenderedMessage => ({
      kind: 'media',
      url: `https://files.example.com/${fileName}`,
      fileName,
      contentType,
      caption: 'Menu v2.1',
    });
    expect(await send(media('image/png', 'menu.png'))).toMatchObject({ status: 'sent' });
    expect(await send(media('application/pdf', 'menu.pdf'))).toMatchObject({ status: 'sent' });
    expect(telegram.sends().map((request) => [request.path.split('/')[2], request.json])).toEqual([
      [
        'sendPhoto',
        {
          chat_id: TELEGRAM_TEST.chatId,
          photo: 'https://files.example.com/menu.png',
          caption: 'Menu v2\\.1',
          parse_mode: 'MarkdownV2',
        },
      ],
      [
        'sendDocument',
        {
          chat_id: TELEGRAM_TEST.chatId,
          document: 'https://files.example.com/menu.pdf',
          caption: 'Menu v2\\.1',
          parse_mode: 'MarkdownV2',
        },
      ],
    ]);
    expect(telegram.delivered.map((message) => message.text)).toEqual(['Menu v2.1', 'Menu v2.1']);
  });

  test('a document Telegram cannot fetch by URL (only GIF, PDF and ZIP) is refused when saved and when sent, without a call', async () => {
    // Bot API, "Sending files": "In sendDocument, sending by URL will currently only work for
    // GIF, PDF and ZIP files".
    const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    expect(
      mediaLimitProblem(
        telegramBotDefinition.mediaLimits,
        { name: 'cv.docx', contentType: docx, sizeBytes: 1000 },
        'Telegram',
      ),
    ).toBe(`Telegram cannot send ${docx} files (cv.docx)`);
    for (const [name, contentType] of [
      ['menu.pdf', 'application/pdf'],
      ['menu.zip', 'application/zip'],
      ['wave.gif', 'image/gif'],
    ] as const) {
      expect(
        mediaLimitProblem(
          telegramBotDefinition.mediaLimits,
          { name, contentType, sizeBytes: 1000 },
          'Telegram',
        ),
      ).toBeNull();
    }
    expect(
      await send({
        kind: 'media',
        url: 'https://files.example.com/cv.docx',
        fileName: 'cv.docx',
        contentType: docx,
        caption: 'My CV',
      }),
    ).toMatchObject({ status: 'failed', reason: 'content_invalid', retryable: false });
    expect(telegram.requests).toHaveLength(0);
    expect(
      await send({
        kind: 'media',
        url: 'https://files.example.com/wave.gif',
        fileName: 'wave.gif',
        contentType: 'image/gif',
      }),
    ).toMatchObject({ status: 'sent' });
    expect(telegram.sends().map((request) => request.path.split('/')[2])).toEqual(['sendDocument']);
  });

  test('a text over 4,096 characters or a caption over 1,024 is invalid content, without a call', async () => {
    expect(await send({ kind: 'text', text: 'x'.repeat(4097) })).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
    });
    expect(
      await send({
        kind: 'media',
        url: 'https://files.example.com/a.png',
        fileName: 'a.png',
        contentType: 'image/png',
        caption: 'x'.repeat(1025),
      }),
    ).toMatchObject({ status: 'failed', reason: 'content_invalid' });
    expect(telegram.requests).toHaveLength(0);
  });

  test('a WhatsApp template is invalid content, and a contact without a chat id has no associated channel, without a call', async () => {
    expect(
      await send({
        kind: 'whatsapp_template',
        templateName: 'x',
        languageCode: 'en',
        parameters: [],
      }),
    ).toMatchObject({ status: 'failed', reason: 'content_invalid' });
    expect(await send({ kind: 'text', text: 'Hi' }, { recipient: '@ada' })).toMatchObject({
      status: 'failed',
      reason: 'no_associated_channel',
    });
    expect(telegram.requests).toHaveLength(0);
  });

  test('a channel without a bot token, or with one not shaped like a token, is not connected', async () => {
    for (const credentials of [{}, { botToken: 'x/../getMe' }]) {
      expect(
        await send({ kind: 'text', text: 'Hi' }, { channel: telegramChannel({ credentials }) }),
      ).toMatchObject({ status: 'failed', reason: 'channel_not_connected', retryable: false });
    }
    expect(telegram.requests).toHaveLength(0);
  });
});

describe('what Telegram answers becomes an outcome', () => {
  test('a token Telegram does not know is credentials_rejected', async () => {
    const channel = telegramChannel({
      credentials: { botToken: '7012345678:AAH-revoked-token-000000000000' },
    });
    expect(await send({ kind: 'text', text: 'Hi' }, { channel })).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      retryable: false,
      detail: 'Telegram Bot API error 401: Unauthorized',
    });
  });

  test('a contact who blocked the bot is recipient_unavailable; an unknown chat too', async () => {
    expect(await send({ kind: 'text', text: 'Hi' }, { recipient: '600000001' })).toMatchObject({
      status: 'failed',
      reason: 'recipient_unavailable',
      detail: 'Telegram Bot API error 403: Forbidden: bot was blocked by the user',
    });
    expect(await send({ kind: 'text', text: 'Hi' }, { recipient: '999' })).toMatchObject({
      status: 'failed',
      reason: 'recipient_unavailable',
      detail: 'Telegram Bot API error 400: Bad Request: chat not found',
    });
  });

  test('a group that became a supergroup gets the message in the supergroup, sent once', async () => {
    const [group, supergroup] = ['-4962287234', '-1002855950299'];
    telegram.chats[supergroup] = 'active';
    telegram.replyNext(
      telegramError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrate_to_chat_id: Number(supergroup),
      }),
    );
    const outcome = await send({ kind: 'text', text: 'Hi team' }, { recipient: group });
    expect(telegram.sends().map((request) => request.json?.chat_id)).toEqual([group, supergroup]);
    expect(telegram.delivered).toMatchObject([{ chatId: supergroup, text: 'Hi team' }]);
    expect(outcome).toEqual({
      status: 'sent',
      providerMessageId: `${supergroup}:${telegram.delivered[0]?.messageId}`,
      providerDetail: `the group ${group} is now the supergroup ${supergroup}; sent there`,
    });
  });

  test('a supergroup that refuses too fails with both answers, and is not asked a third time', async () => {
    const [group, supergroup] = ['-4962287235', '-1002855950300'];
    telegram.replyNext(
      telegramError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrate_to_chat_id: Number(supergroup),
      }),
      telegramError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrate_to_chat_id: Number(group),
      }),
    );
    const outcome = await send({ kind: 'text', text: 'Hi team' }, { recipient: group });
    expect(telegram.sends()).toHaveLength(2);
    expect(outcome).toMatchObject({ status: 'failed', reason: 'recipient_unavailable' });
    expect(outcome.status === 'failed' && outcome.detail).toContain(`now ${supergroup}`);
  });

  test('a flood limit is retried after parameters.retry_after', async () => {
    telegram.replyNext(
      telegramError(429, 'Too Many Requests: retry after 17', { retry_after: 17 }),
    );
    expect(await send({ kind: 'text', text: 'Hi' })).toMatchObject({
      status: 'failed',
      reason: 'rate_limited',
      retryable: true,
      retryAfterSeconds: 17,
    });
  });

  test('a Bot API that cannot be reached is a transient network failure', async () => {
    const outcome = await worker.send(telegramMessage({ kind: 'text', text: 'Hi' }), {
      allowPrivateUrls: false,
      endpoints: { TELEGRAM_API_URL: 'http://127.0.0.1:1' },
    });
    expect(outcome).toMatchObject({ status: 'failed', reason: 'network', retryable: true });
  });

  test('a 200 whose body breaks off is sent, not retried (the Bot API takes no idempotency key)', async () => {
    // The Bot API answers errors with their error_code as the HTTP status: a 200 is Telegram's
    // acceptance, even when the connection drops before its JSON ends.
    const cut = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"ok":true,"result":{"message_id":');
        setTimeout(() => response.socket?.destroy(), 50);
      });
    });
    await new Promise<void>((resolve) => cut.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = cut.address() as AddressInfo;
      const message = telegramMessage({ kind: 'text', text: 'Hi' });
      const outcome = await worker.send(message, {
        allowPrivateUrls: false,
        endpoints: { TELEGRAM_API_URL: `http://127.0.0.1:${port}` },
      });
      expect(outcome).toEqual({ status: 'sent', providerMessageId: message.deliveryId });
    } finally {
      cut.closeAllConnections();
      await new Promise((resolve) => cut.close(resolve));
    }
  });
});
