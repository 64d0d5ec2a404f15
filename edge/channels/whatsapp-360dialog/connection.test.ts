import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Dialog360, startDialog360 } from '../../../test/fakes/dialog360';
import type { ChannelRecord } from '../types';
import { documentHeaderTemplate } from '../whatsapp-meta/test-fixtures';
import { whatsapp360dialogConnection } from './connection';

const API_KEY = 'd360-test-api-key';
let dialog: Dialog360;

beforeAll(async () => {
  dialog = await startDialog360({
    apiKey: API_KEY,
    templates: [
      {
        name: 'order_update',
        language: 'en_US',
        status: 'approved',
        category: 'UTILITY',
        namespace: 'c8ae5f90_307a_ca4c_b8f6_d1e2a2573574',
        components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} shipped.' }],
      },
      {
        ...documentHeaderTemplate('boarding_pass', 'Your boarding pass, {{1}}.'),
        status: 'approved',
        namespace: 'c8ae5f90_307a_ca4c_b8f6_d1e2a2573574',
      },
    ],
  });
});

afterAll(async () => {
  await dialog?.close();
});

function channel(apiKey = API_KEY): ChannelRecord {
  return {
    id: 'channel-360dialog',
    type: 'whatsapp',
    provider: 'dialog360',
    name: 'WhatsApp (360dialog)',
    settings: {},
    credentials: { apiKey },
  };
}

const context = () => ({
  endpoints: { DIALOG360_API_URL: dialog.url },
  allowPrivateUrls: false,
  timeoutMs: 5_000,
});

describe('connecting a 360dialog number', () => {
  test('the API key is verified by reading the webhook configuration', async () => {
    dialog.webhook.url = 'https://sendflow.example.com/callbacks/dialog360/x';
    expect(await whatsapp360dialogConnection.verify(channel(), context())).toEqual({
      verdict: 'verified',
      detail: '360dialog webhook https://sendflow.example.com/callbacks/dialog360/x',
    });
    expect(dialog.requests.at(-1)?.headers['d360-api-key']).toBe(API_KEY);
  });

  test('a key 360dialog does not know is rejected; an unreachable host concludes nothing', async () => {
    expect(await whatsapp360dialogConnection.verify(channel('wrong'), context())).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('HTTP 401'),
    });
    expect(
      await whatsapp360dialogConnection.verify(channel(), {
        ...context(),
        endpoints: { DIALOG360_API_URL: 'http://127.0.0.1:1' },
      }),
    ).toMatchObject({ verdict: 'unreachable' });
  });

  test("the number's templates are listed with their body parameters and media header format", async () => {
    expect(await whatsapp360dialogConnection.listTemplates?.(channel(), context())).toEqual({
      ok: true,
      templates: [
        {
          name: 'order_update',
          language: 'en_US',
          status: 'APPROVED',
          category: 'UTILITY',
          bodyParameters: 2,
          headerParameters: 0,
          urlButtons: [],
          otherParameters: 0,
        },
        {
          name: 'boarding_pass',
          language: 'en',
          status: 'APPROVED',
          category: 'UTILITY',
          bodyParameters: 1,
          headerParameters: 0,
          urlButtons: [],
          headerFormat: 'DOCUMENT',
          otherParameters: 0,
        },
      ],
    });
  });
});
