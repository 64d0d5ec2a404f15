import { encodeBase64 } from '@pothos/core';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../db/rows';
import { webhookEndpoints } from '../../db/schema';
import { fanOutWorkspace } from '../../edge/webhooks/fanout';
import { appendRunEvents } from '../../edge/webhooks/test-support';
import { type Json, selectAll, useTestApi } from '../test-support';

/**
 * Webhook endpoints over GraphQL: the secret shown once and never again, the SSRF rules on
 * save (production settings: private addresses refused), read-only keys list but do not write,
 * and one workspace cannot see, change, rotate or replay another's.
 */

const api = useTestApi();

const CREATE = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on MutationCreateWebhookEndpointSuccess {
        data { secret endpoint { id url eventTypes enabled filter { workflowId channelId contactId } } }
      }
      ... on ValidationError { issues { code path message } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(id: $id, input: $input) {
      __typename
      ... on MutationUpdateWebhookEndpointSuccess { data { id url eventTypes enabled } }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity }
    }
  }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteWebhookEndpoint(id: $id) {
      __typename
      ... on MutationDeleteWebhookEndpointSuccess { data }
      ... on NotFoundError { entity }
    }
  }
`;
const ROTATE = /* GraphQL */ `
  mutation ($id: ID!, $graceHours: Int) {
    rotateWebhookSecret(id: $id, graceHours: $graceHours) {
      __typename
      ... on MutationRotateWebhookSecretSuccess { data { secret } }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity }
    }
  }
`;
const REPLAY_ONE = /* GraphQL */ `
  mutation ($id: ID!) {
    replayWebhookMessage(id: $id) {
      __typename ... on NotFoundError { entity } ... on ValidationError { issues { code path } }
    }
  }
`;
const REPLAY_SINCE = /* GraphQL */ `
  mutation ($id: ID!) {
    replayWebhookEndpoint(endpointId: $id, since: "2000-01-01T00:00:00Z") {
      __typename ... on NotFoundError { entity } ... on ValidationError { issues { code path } }
    }
  }
`;
const LIST = /* GraphQL */ `
  { webhookEndpoints { totalCount nodes { id url } } webhookMessages { totalCount nodes { id } } }
`;

const PUBLIC_URL = 'https://hooks.partner.example/sendflow';

async function create(key: string, input: Record<string, unknown>) {
  return (await api.gql(key, CREATE, { input })).data.createWebhookEndpoint;
}

describe('webhook endpoints over GraphQL', () => {
  it('shows the whsec_ secret once, stores it encrypted, and never returns it again', async () => {
    const { apiKey } = await api.createWorkspace();
    const created = await create(apiKey, {
      url: PUBLIC_URL,
      eventTypes: ['DELIVERY_FAILED', 'DELIVERY_SENT', 'DELIVERY_FAILED'],
    });
    expect(created.__typename).toBe('MutationCreateWebhookEndpointSuccess');
    const { secret, endpoint } = created.data;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(endpoint).toMatchObject({
      url: PUBLIC_URL,
      eventTypes: ['DELIVERY_FAILED', 'DELIVERY_SENT'],
      enabled: true,
      filter: { workflowId: null, channelId: null, contactId: null },
    });
    const [row] = await api.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(row!.secretCiphertext).toMatch(/^v1\./);
    expect(row!.secretCiphertext).not.toContain(secret.slice(6));

    const everything = await api.gql(
      apiKey,
      `query ($id: ID!) { webhookEndpoints ${selectAll('WebhookEndpointConnection')}
        webhookEndpoint(id: $id) ${selectAll('WebhookEndpoint')} }`,
      { id: endpoint.id },
    );
    expect(everything.errors).toBeUndefined();
    const text = JSON.stringify(everything);
    expect(text).toContain(endpoint.id);
    expect(text).not.toContain(secret.slice(6));
    expect(text).not.toContain(row!.secretCiphertext);
  });

  it('refuses private, loopback, metadata and non-http URLs on save, writing nothing', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://localhost/hook',
      'https://metadata.google.internal/x',
      'ftp://hooks.partner.example/x',
      'https://user:pass@hooks.partner.example/x',
      'not a url',
    ]) {
      const refused = await create(apiKey, { url });
      expect(refused.__typename, url).toBe('ValidationError');
      expect(refused.issues[0]).toMatchObject({ code: 'INVALID_URL', path: 'url' });
    }
    const rows = await api.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.workspaceId, workspaceId));
    expect(rows).toEqual([]);
  });

  it('updates URL, types and enabled; a private URL on update is refused and changes nothing', async () => {
    const { apiKey } = await api.createWorkspace();
    const { endpoint } = (await create(apiKey, { url: PUBLIC_URL })).data;
    const updated = await api.gql(apiKey, UPDATE, {
      id: endpoint.id,
      input: {
        url: 'https://other.partner.example/x',
        eventTypes: ['RUN_COMPLETED'],
        enabled: false,
      },
    });
    expect(updated.data.updateWebhookEndpoint.data).toEqual({
      id: endpoint.id,
      url: 'https://other.partner.example/x',
      eventTypes: ['RUN_COMPLETED'],
      enabled: false,
    });
    const refused = await api.gql(apiKey, UPDATE, {
      id: endpoint.id,
      input: { url: 'http://192.168.1.1/x', enabled: true },
    });
    expect(refused.data.updateWebhookEndpoint).toEqual({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_URL', path: 'url' }],
    });
    const [row] = await api.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(row).toMatchObject({ url: 'https://other.partner.example/x', enabled: false });
  });

  it('refuses a filter naming another workspace’s workflow', async () => {
    const mine = await api.createWorkspace();
    const theirs = await api.createWorkspace();
    const channelId = await api.createChannel(theirs.apiKey, 'CUSTOM');
    const refused = await create(mine.apiKey, { url: PUBLIC_URL, filter: { channelId } });
    expect(refused).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'filter.channelId' }],
    });
    const own = await api.createChannel(mine.apiKey, 'CUSTOM');
    const accepted = await create(mine.apiKey, { url: PUBLIC_URL, filter: { channelId: own } });
    expect(accepted.data.endpoint.filter.channelId).toBe(own);
  });

  it('refuses a 21st endpoint in a workspace, also when creates race, and counts disabled ones', async () => {
    // The documented limit: 20 endpoints per workspace (MAX_WEBHOOK_ENDPOINTS).
    const limit = 20;
    const { apiKey, workspaceId } = await api.createWorkspace();
    const first = (await create(apiKey, { url: PUBLIC_URL, enabled: false })).data.endpoint;
    for (let index = 1; index < limit - 3; index++) {
      const created = await create(apiKey, { url: `${PUBLIC_URL}/${index}` });
      expect(created.__typename).toBe('MutationCreateWebhookEndpointSuccess');
    }
    // Six at once for the last three places: exactly three get in.
    const raced = await Promise.all(
      Array.from({ length: 6 }, (_, index) => create(apiKey, { url: `${PUBLIC_URL}/r${index}` })),
    );
    const refused = raced.filter((result) => result.__typename === 'ValidationError');
    expect(raced.length - refused.length).toBe(3);
    expect(refused).toHaveLength(3);
    for (const result of refused) {
      expect(result.issues).toEqual([
        {
          code: 'INVALID_VALUE',
          path: '',
          message: `A workspace has at most ${limit} webhook endpoints: delete one first`,
        },
      ]);
    }
    const count = () =>
      api.db.$count(webhookEndpoints, eq(webhookEndpoints.workspaceId, workspaceId));
    expect(await count()).toBe(limit);
    expect((await create(apiKey, { url: PUBLIC_URL })).__typename).toBe('ValidationError');
    // Another workspace has its own 20.
    const other = await api.createWorkspace();
    expect((await create(other.apiKey, { url: PUBLIC_URL })).__typename).toBe(
      'MutationCreateWebhookEndpointSuccess',
    );
    // Deleting one (the disabled one counted too) makes room for one.
    await api.gql(apiKey, DELETE, { id: first.id });
    expect((await create(apiKey, { url: PUBLIC_URL })).__typename).toBe(
      'MutationCreateWebhookEndpointSuccess',
    );
    expect(await count()).toBe(limit);
  });

  it('lists messages in event order within one instant, paging without skips or repeats', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    const one = (await create(apiKey, { url: PUBLIC_URL })).data.endpoint;
    const two = (await create(apiKey, { url: `${PUBLIC_URL}/two` })).data.endpoint;
    // One statement: twelve events sharing one `created_at`, then three more later.
    await appendRunEvents(api.db, workspaceId, 12);
    await appendRunEvents(api.db, workspaceId, 3);
    await fanOutWorkspace(api.db, workspaceId, new Date());
    const expected = await queryRows<{ id: string; event_cursor: string }>(
      api.db,
      sql`select id, event_cursor from webhook_messages where workspace_id = ${workspaceId}::uuid
          order by created_at, event_cursor, id`,
    );
    expect(expected).toHaveLength(30);
    const PAGE = /* GraphQL */ `
      query ($first: Int, $after: String, $last: Int, $before: String, $endpointId: ID!) {
        webhookMessages(first: $first, after: $after, last: $last, before: $before) {
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          nodes { id eventCursor }
        }
        webhookEndpoint(id: $endpointId) {
          messages(first: $first, after: $after, last: $last, before: $before) {
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
            nodes { id eventCursor }
          }
        }
      }
    `;
    const walk = async (
      pick: (data: Json) => Json,
      variables: Record<string, unknown>,
      backwards = false,
    ) => {
      const seen: { id: string; eventCursor: string }[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 40; page++) {
        const result = await api.gql(apiKey, PAGE, {
          ...variables,
          ...(backwards ? { last: 4, before: cursor } : { first: 4, after: cursor }),
        });
        expect(result.errors).toBeUndefined();
        const connection = pick(result.data);
        if (backwards) seen.unshift(...connection.nodes);
        else seen.push(...connection.nodes);
        const more = backwards
          ? connection.pageInfo.hasPreviousPage
          : connection.pageInfo.hasNextPage;
        if (!more) return seen;
        cursor = backwards ? connection.pageInfo.startCursor : connection.pageInfo.endCursor;
      }
      throw new Error('no end');
    };
    const all = expected.map((row) => ({ id: row.id, eventCursor: String(row.event_cursor) }));
    const ofOne = await queryRows<{ id: string }>(
      api.db,
      sql`select id from webhook_messages where endpoint_id = ${one.id}::uuid
          order by event_cursor`,
    );
    for (const backwards of [false, true]) {
      const listed = await walk((data) => data.webhookMessages, { endpointId: one.id }, backwards);
      expect(listed).toEqual(all);
      const nested = await walk(
        (data) => data.webhookEndpoint.messages,
        { endpointId: one.id },
        backwards,
      );
      expect(nested.map((node) => node.id)).toEqual(ofOne.map((row) => row.id));
    }
    // Per event, each endpoint's message: both endpoints' messages of one event are adjacent.
    const cursors = all.map((node) => Number(node.eventCursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(two.id).toBeTruthy();
  });

  it('refuses a webhook messages cursor from before event order, saying to start again', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    const { endpoint } = (await create(apiKey, { url: PUBLIC_URL })).data;
    await appendRunEvents(api.db, workspaceId, 2);
    const { messages } = await fanOutWorkspace(api.db, workspaceId, new Date());
    // What the list handed out before: (created_at's microsecond text, msg_ id).
    const old = encodeBase64(
      `DC:T:${JSON.stringify(['S:2026-12-03T10:00:00.123456', `S:${messages[0]}`])}`,
    );
    for (const [query, variables] of [
      [`query ($after: String) { webhookMessages(after: $after) { nodes { id } } }`, {}],
      [
        `query ($id: ID!, $after: String) {
           webhookEndpoint(id: $id) { messages(after: $after) { nodes { id } } } }`,
        { id: endpoint.id },
      ],
    ] as const) {
      const result = await api.gql(apiKey, query, { ...variables, after: old });
      expect(result.errors?.[0]).toMatchObject({
        message:
          '"after" is a cursor from before webhook messages were listed in event order: ' +
          'request the first page again',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });

  it('rotates with a grace period of 0 to 168 hours', async () => {
    const { apiKey } = await api.createWorkspace();
    const { endpoint, secret } = (await create(apiKey, { url: PUBLIC_URL })).data;
    const bad = await api.gql(apiKey, ROTATE, { id: endpoint.id, graceHours: 169 });
    expect(bad.data.rotateWebhookSecret).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'graceHours' }],
    });
    const rotated = await api.gql(apiKey, ROTATE, { id: endpoint.id });
    expect(rotated.data.rotateWebhookSecret.data.secret).toMatch(/^whsec_/);
    expect(rotated.data.rotateWebhookSecret.data.secret).not.toBe(secret);
    const [row] = await api.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    const grace = row!.previousSecretExpiresAt!.getTime() - Date.now();
    expect(grace).toBeGreaterThan(23.9 * 3_600_000);
    expect(grace).toBeLessThanOrEqual(24 * 3_600_000);
    const immediate = await api.gql(apiKey, ROTATE, { id: endpoint.id, graceHours: 0 });
    expect(immediate.data.rotateWebhookSecret.__typename).toBe(
      'MutationRotateWebhookSecretSuccess',
    );
    const [after] = await api.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(after!.previousSecretCiphertext).toBeNull();
  });

  it('lets a read-only key list endpoints and messages but not write', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    const { endpoint } = (await create(apiKey, { url: PUBLIC_URL })).data;
    const readKey = await api.createKey(workspaceId, ['read']);
    const listed = await api.gql(readKey, LIST);
    expect(listed.data.webhookEndpoints.nodes).toEqual([{ id: endpoint.id, url: PUBLIC_URL }]);
    for (const [query, variables] of [
      [CREATE, { input: { url: PUBLIC_URL } }],
      [ROTATE, { id: endpoint.id }],
      [DELETE, { id: endpoint.id }],
      [REPLAY_SINCE, { id: endpoint.id }],
    ] as const) {
      const refused = await api.gql(readKey, query, variables);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect((await api.gql(apiKey, LIST)).data.webhookEndpoints.totalCount).toBe(1);
  });

  it('resets the failing streak or the reason only when `enabled` changes the endpoint', async () => {
    const { apiKey } = await api.createWorkspace();
    const { endpoint } = (await create(apiKey, { url: PUBLIC_URL })).data;
    const failingSince = new Date('2026-11-30T08:00:00Z');
    await api.db
      .update(webhookEndpoints)
      .set({ failingSince })
      .where(eq(webhookEndpoints.id, endpoint.id));
    const read = async () =>
      (
        await api.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id))
      )[0]!;
    // An edit sent with `enabled: true` to an endpoint that is on: the 5 days count on.
    const edited = await api.gql(apiKey, UPDATE, {
      id: endpoint.id,
      input: { url: `${PUBLIC_URL}/v2`, enabled: true },
    });
    expect(edited.data.updateWebhookEndpoint.__typename).toBe(
      'MutationUpdateWebhookEndpointSuccess',
    );
    expect((await read()).failingSince).toEqual(failingSince);
    // Disabled by us (410 Gone), then `enabled: false` by hand: why and when are kept.
    const disabledAt = new Date('2026-12-01T09:00:00Z');
    await api.db
      .update(webhookEndpoints)
      .set({ enabled: false, disabledReason: 'gone', disabledAt })
      .where(eq(webhookEndpoints.id, endpoint.id));
    await api.gql(apiKey, UPDATE, { id: endpoint.id, input: { enabled: false } });
    expect(await read()).toMatchObject({ enabled: false, disabledReason: 'gone', disabledAt });
    // Turned back on, then off by hand: a fresh state each time.
    await api.gql(apiKey, UPDATE, { id: endpoint.id, input: { enabled: true } });
    expect(await read()).toMatchObject({
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      failingSince: null,
    });
    await api.gql(apiKey, UPDATE, { id: endpoint.id, input: { enabled: false } });
    const off = await read();
    expect(off).toMatchObject({ enabled: false, disabledReason: null });
    expect(off.disabledAt!.getTime()).toBeGreaterThan(disabledAt.getTime());
  });

  it('refuses to replay a disabled endpoint or its messages (ENDPOINT_DISABLED), changing nothing', async () => {
    const { apiKey, workspaceId } = await api.createWorkspace();
    const { endpoint } = (await create(apiKey, { url: PUBLIC_URL })).data;
    await appendRunEvents(api.db, workspaceId, 2);
    const { messages } = await fanOutWorkspace(api.db, workspaceId, new Date());
    await api.gql(apiKey, UPDATE, { id: endpoint.id, input: { enabled: false } });
    const snapshot = () =>
      queryRows<Json>(
        api.db,
        sql`select to_jsonb(m) as row from webhook_messages m
            where endpoint_id = ${endpoint.id}::uuid order by id`,
      );
    const before = await snapshot();
    const one = await api.gql(apiKey, REPLAY_ONE, { id: messages[0] });
    expect(one.data.replayWebhookMessage).toEqual({
      __typename: 'ValidationError',
      issues: [{ code: 'ENDPOINT_DISABLED', path: 'id' }],
    });
    const all = await api.gql(apiKey, REPLAY_SINCE, { id: endpoint.id });
    expect(all.data.replayWebhookEndpoint).toEqual({
      __typename: 'ValidationError',
      issues: [{ code: 'ENDPOINT_DISABLED', path: 'endpointId' }],
    });
    expect(await snapshot()).toEqual(before);
    // Enabled again, both replay.
    await api.gql(apiKey, UPDATE, { id: endpoint.id, input: { enabled: true } });
    expect(
      (await api.gql(apiKey, REPLAY_ONE, { id: messages[0] })).data.replayWebhookMessage,
    ).toMatchObject({ __typename: 'MutationReplayWebhookMessageSuccess' });
    expect(
      (await api.gql(apiKey, REPLAY_SINCE, { id: endpoint.id })).data.replayWebhookEndpoint,
    ).toMatchObject({ __typename: 'MutationReplayWebhookEndpointSuccess' });
  });

  it('keeps endpoints and messages to their workspace: another cannot see, change, rotate, replay or delete them', async () => {
    const owner = await api.createWorkspace();
    const intruder = await api.createWorkspace();
    const { endpoint } = (await create(owner.apiKey, { url: PUBLIC_URL })).data;
    await appendRunEvents(api.db, owner.workspaceId, 2);
    const { messages } = await fanOutWorkspace(api.db, owner.workspaceId, new Date());
    expect(messages).toHaveLength(2);
    const before = await queryRows<Json>(
      api.db,
      sql`select to_jsonb(ep) as row from webhook_endpoints ep where id = ${endpoint.id}::uuid`,
    );

    const seen = await api.gql(
      intruder.apiKey,
      `query ($id: ID!, $m: ID!) { webhookEndpoint(id: $id) { id } webhookMessage(id: $m) { id } }`,
      { id: endpoint.id, m: messages[0] },
    );
    expect(seen.data).toEqual({ webhookEndpoint: null, webhookMessage: null });
    const lists = await api.gql(intruder.apiKey, LIST);
    expect(lists.data).toEqual({
      webhookEndpoints: { totalCount: 0, nodes: [] },
      webhookMessages: { totalCount: 0, nodes: [] },
    });
    const attempts: [string, Record<string, unknown>, string][] = [
      [UPDATE, { id: endpoint.id, input: { enabled: false } }, 'updateWebhookEndpoint'],
      [ROTATE, { id: endpoint.id }, 'rotateWebhookSecret'],
      [REPLAY_SINCE, { id: endpoint.id }, 'replayWebhookEndpoint'],
      [REPLAY_ONE, { id: messages[0] }, 'replayWebhookMessage'],
      [DELETE, { id: endpoint.id }, 'deleteWebhookEndpoint'],
    ];
    for (const [query, variables, field] of attempts) {
      const refused = await api.gql(intruder.apiKey, query, variables);
      expect(refused.data[field], field).toMatchObject({ __typename: 'NotFoundError' });
    }
    const after = await queryRows<Json>(
      api.db,
      sql`select to_jsonb(ep) as row from webhook_endpoints ep where id = ${endpoint.id}::uuid`,
    );
    expect(after).toEqual(before);
    const owned = await api.gql(owner.apiKey, LIST);
    expect(owned.data.webhookMessages.totalCount).toBe(2);
    const deleted = await api.gql(owner.apiKey, DELETE, { id: endpoint.id });
    expect(deleted.data.deleteWebhookEndpoint.data).toBe(endpoint.id);
  });
});
