import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  startTelegramBotApi,
  type TelegramBotApi,
  telegramError,
} from '../../../test/fakes/telegram-bot-api';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { FailureReason } from '../types';
import { TELEGRAM_FAILURES } from './failures';
import { TELEGRAM_TEST, telegramMessage } from './test-fixtures';

let telegram: TelegramBotApi;
let worker: AdapterWorker;

beforeAll(async () => {
  telegram = await startTelegramBotApi({
    token: TELEGRAM_TEST.token,
    chats: { [TELEGRAM_TEST.chatId]: 'active' },
  });
  worker = await startAdapterWorker();
}, 60_000);

afterAll(async () => {
  await worker?.dispose();
  await telegram?.close();
});

/** [error_code, description, parameters, reason, retried]: one case per table row. */
const EXPECTED: [number, string, Record<string, unknown> | undefined, FailureReason, boolean][] = [
  [401, 'Unauthorized', undefined, 'credentials_rejected', false],
  [404, 'Not Found', undefined, 'credentials_rejected', false],
  [403, 'Forbidden: bot was blocked by the user', undefined, 'recipient_unavailable', false],
  [403, 'Forbidden: user is deactivated', undefined, 'recipient_unavailable', false],
  [
    403,
    "Forbidden: bot can't initiate conversation with a user",
    undefined,
    'recipient_unavailable',
    false,
  ],
  [400, 'Bad Request: chat not found', undefined, 'recipient_unavailable', false],
  [
    400,
    'Bad Request: group chat was upgraded to a supergroup chat',
    { migrate_to_chat_id: -1001234567890 },
    'recipient_unavailable',
    false,
  ],
  [
    400,
    "Bad Request: can't parse entities: Character '.' is reserved",
    undefined,
    'content_invalid',
    false,
  ],
  [400, 'Bad Request: wrong type of the web page content', undefined, 'content_invalid', false],
  [429, 'Too Many Requests: retry after 5', { retry_after: 5 }, 'rate_limited', true],
];

describe('Telegram errors become reasons (one case per table row)', () => {
  for (const [code, description, parameters, reason, retried] of EXPECTED) {
    test(`${code} ${description} → ${reason}${retried ? ', retried' : ''}`, async () => {
      telegram.replyNext(telegramError(code, description, parameters));
      const outcome = await worker.send(telegramMessage({ kind: 'text', text: 'Hi' }), {
        allowPrivateUrls: false,
        endpoints: { TELEGRAM_API_URL: telegram.url },
      });
      expect(outcome).toMatchObject({ status: 'failed', reason, retryable: retried });
      expect(outcome.status === 'failed' && outcome.detail).toContain(description);
      if (parameters?.retry_after) {
        expect(outcome).toMatchObject({ retryAfterSeconds: parameters.retry_after });
      }
      if (parameters?.migrate_to_chat_id) {
        expect(outcome.status === 'failed' && outcome.detail).toContain('-1001234567890');
      }
    });
  }

  test('an error no row names falls back to its HTTP status (5xx retried)', async () => {
    telegram.replyNext(telegramError(502, 'Bad Gateway'));
    const outcome = await worker.send(telegramMessage({ kind: 'text', text: 'Hi' }), {
      allowPrivateUrls: false,
      endpoints: { TELEGRAM_API_URL: telegram.url },
    });
    expect(outcome).toMatchObject({ reason: 'network', retryable: true });
  });

  test('every row has a case above, and every row cites the Bot API', () => {
    expect(EXPECTED).toHaveLength(TELEGRAM_FAILURES.length);
    for (const row of TELEGRAM_FAILURES) {
      const cases = EXPECTED.filter(
        ([code, description]) =>
          code === row.code && (!row.description || row.description.test(description)),
      );
      expect(cases.length, `row ${row.code} ${row.description ?? ''}`).toBeGreaterThan(0);
      expect(row.doc).toMatch(/^Telegram Bot API, "/);
    }
  });
});
