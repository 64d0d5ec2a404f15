import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Dialog360, startDialog360 } from '../../../test/fakes/dialog360';
import { startJsonServer } from '../../../test/fakes/json-server';
import { MAX_LISTED_TEMPLATES } from '../connection';
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

describe('listing 360dialog templates past one page', () => {
  /**
   * 360dialog's template listing as documented ("Template Messages", get templates): `limit`
   * and `offset`, answering `{ count, total, offset, limit, waba_templates }`; this stand-in
   * serves at most 1,000 per page.
   */
  async function paged(count: number) {
    const all = Array.from({ length: count }, (_, index) => ({
      name: `template_${index}`,
      language: 'en',
      status: 'approved',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hi {{1}}' }],
    }));
    return startJsonServer({
      answer(request) {
        if (request.headers['d360-api-key'] !== API_KEY) return { status: 401, body: {} };
        const offset = Number(request.query.get('offset') ?? 0);
        const limit = Math.min(Number(request.query.get('limit') ?? 50), 1_000);
        const page = all.slice(offset, offset + limit);
        return {
          status: 200,
          body: { count: page.length, total: all.length, offset, limit, waba_templates: page },
        };
      },
    });
  }

  for (const [count, listedCount, truncated] of [
    [2_300, 2_300, false],
    [MAX_LISTED_TEMPLATES + 500, MAX_LISTED_TEMPLATES, true],
  ] as const) {
    test(`${count} templates: ${listedCount} listed${truncated ? ', truncated' : ''}`, async () => {
      const server = await paged(count);
      try {
        const listed = await whatsapp360dialogConnection.listTemplates?.(channel(), {
          ...context(),
          endpoints: { DIALOG360_API_URL: server.url },
        });
        expect(listed?.ok && listed.templates.length).toBe(listedCount);
        expect(listed?.ok && (listed.truncated ?? false)).toBe(truncated);
        expect(listed?.ok && listed.templates.at(-1)?.name).toBe(`template_${listedCount - 1}`);
      } finally {
        await server.close();
      }
    });
  }
});
