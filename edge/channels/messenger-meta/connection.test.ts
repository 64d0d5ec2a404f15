import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type JsonServer, startJsonServer } from '../../../test/fakes/json-server';
import type { ConnectionContext } from '../connection';
import { instagramMetaConnection } from '../instagram-meta/connection';
import { GRAPH_API_URL, GRAPH_API_VERSION } from '../meta/graph';
import { messengerMetaConnection } from './connection';
import { MESSENGER_TEST_PAGE, messengerChannel } from './test-fixtures';

/**
 * A Graph stand-in as Meta documents the two reads: `GET /<page-id>?fields=name` answers a
 * Page's public fields to any valid token (a user's, another Page's, an app's: "Page",
 * public Page content), and `GET /me` is the node of the token's owner ("/me": the person or
 * Page whose token is used; an app token cannot ask for it, OAuthException code 2500). An
 * unknown token is 401 code 190.
 */
const VERSION = 'v99.0';
const TOKENS: Record<string, { me: { id: string; name: string } | null }> = {
  [MESSENGER_TEST_PAGE.pageAccessToken]: {
    me: { id: MESSENGER_TEST_PAGE.pageId, name: MESSENGER_TEST_PAGE.name },
  },
  'EAAother-page-token': { me: { id: '998877665544332', name: 'Another Page' } },
  'EAAuser-access-token': { me: { id: '10158000000000001', name: 'Ada Admin' } },
  '123456|app-secret-token': { me: null },
};

let graph: JsonServer;
let context: ConnectionContext;

beforeAll(async () => {
  graph = await startJsonServer({
    answer(request) {
      const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      const owner = TOKENS[token];
      const error = (status: number, code: number, message: string) => ({
        status,
        body: { error: { message, type: 'OAuthException', code, fbtrace_id: 'Atrace' } },
      });
      if (!owner) return error(401, 190, 'Invalid OAuth access token - Cannot parse access token');
      if (request.path === `/${VERSION}/me`) {
        return owner.me
          ? { status: 200, body: { id: owner.me.id } }
          : error(
              400,
              2500,
              'An active access token must be used to query information about the current user.',
            );
      }
      if (request.path === `/${VERSION}/${MESSENGER_TEST_PAGE.pageId}`) {
        return {
          status: 200,
          body: { name: MESSENGER_TEST_PAGE.name, id: MESSENGER_TEST_PAGE.pageId },
        };
      }
      if (request.path === `/${VERSION}/${MESSENGER_TEST_PAGE.instagramAccountId}`) {
        return {
          status: 200,
          body: {
            username: MESSENGER_TEST_PAGE.instagramUsername,
            id: MESSENGER_TEST_PAGE.instagramAccountId,
          },
        };
      }
      return error(400, 100, 'Unsupported get request.');
    },
  });
  context = {
    endpoints: { [GRAPH_API_URL]: graph.url, [GRAPH_API_VERSION]: VERSION },
    allowPrivateUrls: false,
    timeoutMs: 5_000,
  };
});
afterAll(() => graph?.close());

const withToken = (pageAccessToken: string) =>
  messengerChannel({
    credentials: { pageAccessToken, appSecret: MESSENGER_TEST_PAGE.appSecret },
  });

describe('verifying a Messenger channel', () => {
  test("the Page's own access token: /me is the Page", async () => {
    expect(
      await messengerMetaConnection.verify(withToken(MESSENGER_TEST_PAGE.pageAccessToken), context),
    ).toEqual({ verdict: 'verified', detail: 'Page Sendflow Coffee' });
    expect(graph.requests.at(-1)?.path).toBe(`/${VERSION}/me`);
  });

  test("another Page's token, which can read this Page's name, is refused", async () => {
    expect(await messengerMetaConnection.verify(withToken('EAAother-page-token'), context)).toEqual(
      {
        verdict: 'rejected',
        problem: `the access token is not Page ${MESSENGER_TEST_PAGE.pageId}'s: it belongs to 998877665544332 (a user, a system user or another Page); give the Page's own access token`,
      },
    );
  });

  test("a user's access token is refused", async () => {
    const result = await messengerMetaConnection.verify(withToken('EAAuser-access-token'), context);
    expect(result).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('it belongs to 10158000000000001'),
    });
  });

  test('an app access token (no /me) is refused', async () => {
    const result = await messengerMetaConnection.verify(
      withToken('123456|app-secret-token'),
      context,
    );
    expect(result).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('the access token is not a Page access token'),
    });
  });

  test('an unknown token is refused by the Page read, before /me', async () => {
    graph.requests.length = 0;
    const result = await messengerMetaConnection.verify(withToken('EAAexpired'), context);
    expect(result.verdict).toBe('rejected');
    expect(graph.requests.map((request) => request.path)).toEqual([
      `/${VERSION}/${MESSENGER_TEST_PAGE.pageId}`,
    ]);
  });
});

describe('verifying an Instagram channel', () => {
  const instagram = (pageAccessToken: string) => ({
    id: '0b0c0d0e-1111-4222-8333-777788889999',
    type: 'instagram' as const,
    provider: 'meta',
    name: 'Instagram',
    settings: {
      instagramAccountId: MESSENGER_TEST_PAGE.instagramAccountId,
      pageId: MESSENGER_TEST_PAGE.pageId,
    },
    credentials: { pageAccessToken, appSecret: MESSENGER_TEST_PAGE.appSecret },
  });

  test("the linked Page's token is verified; a user's token that reads the account is refused", async () => {
    expect(
      await instagramMetaConnection.verify(instagram(MESSENGER_TEST_PAGE.pageAccessToken), context),
    ).toEqual({ verdict: 'verified', detail: '@sendflow.coffee' });
    expect(
      await instagramMetaConnection.verify(instagram('EAAuser-access-token'), context),
    ).toMatchObject({
      verdict: 'rejected',
      problem: expect.stringContaining('it belongs to 10158000000000001'),
    });
  });
});
