import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTwilio, type TwilioStandIn } from '../../../test/fakes/twilio';
import { MAX_LISTED_TEMPLATES } from '../connection';
import { smsTwilioIntegration } from '../sms-twilio';
import { whatsappTwilioIntegration } from '../whatsapp-twilio';
import { TWILIO_TEST_IDS, twilioChannel } from './test-fixtures';

/** Content API templates as `ContentAndApprovals` lists them. */
function content(sid: string, status: string | null, variables: Record<string, string>) {
  return {
    sid,
    account_sid: TWILIO_TEST_IDS.accountSid,
    friendly_name: `template ${sid}`,
    language: 'en',
    variables,
    types: { 'twilio/text': { body: 'Hi {{1}}' } },
    approval_requests: status ? { name: sid, category: 'utility', status } : {},
  };
}

const APPROVED = 'HX0123456789abcdef0123456789abcdef';
const PENDING = 'HXfedcba9876543210fedcba9876543210';
const DRAFT = 'HX00000000000000000000000000000000';

let twilio: TwilioStandIn;

beforeAll(async () => {
  twilio = await startTwilio({
    ...TWILIO_TEST_IDS,
    contents: [
      content(APPROVED, 'approved', { '1': 'Ada', '2': '#1042' }),
      content(PENDING, 'pending', {}),
      content(DRAFT, null, { '1': 'x' }),
    ],
    contentPageSize: 2,
  });
});

afterAll(async () => {
  await twilio?.close();
});

const context = () => ({
  endpoints: { TWILIO_API_URL: twilio.url, TWILIO_CONTENT_API_URL: twilio.url },
  allowPrivateUrls: false,
  timeoutMs: 5_000,
});

describe('connecting a Twilio channel', () => {
  test('a next page the answer does not give a page token for is a listing that failed, not an exception', async () => {
    for (const firstNextPageUrl of [
      'not a url',
      'https://content.twilio.com/v1/ContentAndApprovals',
      42,
    ]) {
      const odd = await startTwilio({ ...TWILIO_TEST_IDS, contents: [], firstNextPageUrl });
      try {
        const listed = await whatsappTwilioIntegration.connection?.listTemplates?.(
          twilioChannel('whatsapp'),
          { ...context(), endpoints: { TWILIO_API_URL: odd.url, TWILIO_CONTENT_API_URL: odd.url } },
        );
        expect(listed).toEqual({
          ok: false,
          problem: expect.stringContaining('a next page without a page token'),
        });
      } finally {
        await odd.close();
      }
    }
  });

  test('verifying reads the account with Basic auth', async () => {
    expect(await smsTwilioIntegration.connection?.verify(twilioChannel('sms'), context())).toEqual({
      verdict: 'verified',
      detail: 'Twilio account Sendflow Test',
    });
  });

  test('a wrong auth token is rejected with Twilio’s error', async () => {
    const channel = twilioChannel('sms', {
      credentials: { accountSid: TWILIO_TEST_IDS.accountSid, authToken: 'wrong' },
    });
    expect(await smsTwilioIntegration.connection?.verify(channel, context())).toEqual({
      verdict: 'rejected',
      problem: 'Twilio error 20003: Authenticate',
    });
  });

  test('WhatsApp templates are the Content API templates, by SID, across pages, with their approval', async () => {
    const listed = await whatsappTwilioIntegration.connection?.listTemplates?.(
      twilioChannel('whatsapp'),
      context(),
    );
    expect(listed).toEqual({
      ok: true,
      templates: [
        {
          name: APPROVED,
          language: 'en',
          status: 'APPROVED',
          category: 'UTILITY',
          bodyParameters: 2,
          otherParameters: 0,
        },
        expect.objectContaining({ name: PENDING, status: 'PENDING', bodyParameters: 0 }),
        expect.objectContaining({ name: DRAFT, status: 'UNSUBMITTED', category: null }),
      ],
    });
    expect(
      twilio.requests
        .filter((request) => request.path === '/v1/ContentAndApprovals')
        .map((request) => request.query.get('PageToken')),
    ).toEqual([null, 'PT2']);
  });

  test('SMS has no templates to list', () => {
    expect(smsTwilioIntegration.connection?.listTemplates).toBeUndefined();
  });
});

describe('listing Content API templates past 1,000', () => {
  test('every page is read, up to MAX_LISTED_TEMPLATES, and a longer list says it is truncated', async () => {
    const many = (count: number) =>
      Array.from({ length: count }, (_, index) =>
        content(`HX${index.toString(16).padStart(32, '0')}`, 'approved', {}),
      );
    for (const [count, listedCount, truncated] of [
      [1_050, 1_050, false],
      [MAX_LISTED_TEMPLATES + 20, MAX_LISTED_TEMPLATES, true],
    ] as const) {
      const big = await startTwilio({ ...TWILIO_TEST_IDS, contents: many(count) });
      try {
        const listed = await whatsappTwilioIntegration.connection?.listTemplates?.(
          twilioChannel('whatsapp'),
          { ...context(), endpoints: { TWILIO_API_URL: big.url, TWILIO_CONTENT_API_URL: big.url } },
        );
        expect(listed?.ok && listed.templates.length).toBe(listedCount);
        expect(listed?.ok && (listed.truncated ?? false)).toBe(truncated);
      } finally {
        await big.close();
      }
    }
  });
});
