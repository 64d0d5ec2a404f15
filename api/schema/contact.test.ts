import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { contacts } from '../../db/schema';
import { type TestWorkspace, useTestApi } from '../test-support';

const api = useTestApi();

const FIELDS = 'id firstName lastName email phone country language customFields';
const CREATE = /* GraphQL */ `
  mutation ($input: ContactInput!) {
    createContact(input: $input) {
      __typename
      ... on MutationCreateContactSuccess { data { ${FIELDS} } }
      ... on ValidationError { issues { code path } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: ContactInput!) {
    updateContact(id: $id, input: $input) {
      __typename
      ... on MutationUpdateContactSuccess { data { ${FIELDS} } }
      ... on ValidationError { issues { code path } }
      ... on NotFoundError { entity id }
    }
  }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteContact(id: $id) {
      __typename
      ... on MutationDeleteContactSuccess { data }
      ... on NotFoundError { entity id }
    }
  }
`;
const LIST = /* GraphQL */ `
  query ($filter: ContactFilter, $first: Int, $after: String) {
    contacts(filter: $filter, first: $first, after: $after) {
      totalCount
      nodes { firstName }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

async function createContact(ws: TestWorkspace, input: Record<string, unknown>) {
  const result = await api.gql(ws.apiKey, CREATE, { input });
  expect(result.data.createContact.__typename).toBe('MutationCreateContactSuccess');
  return result.data.createContact.data;
}

describe('contacts', () => {
  it('creates a contact with normalised fields and custom fields', async () => {
    const ws = await api.createWorkspace();
    const contact = await createContact(ws, {
      firstName: ' Ada ',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      phone: '+442071234567',
      country: 'gb',
      language: 'en-gb',
      customFields: { plan: 'pro', favourite_colour: 'green' },
    });
    expect(contact).toMatchObject({
      firstName: 'Ada',
      country: 'GB',
      language: 'en-GB',
      customFields: { plan: 'pro', favourite_colour: 'green' },
    });
  });

  it('rejects a malformed email and a non-E.164 phone with typed codes, writing nothing', async () => {
    const ws = await api.createWorkspace();
    const result = await api.gql(ws.apiKey, CREATE, {
      input: { firstName: 'Bob', email: 'bob at example', phone: '07700 900123' },
    });
    expect(result.data.createContact).toEqual({
      __typename: 'ValidationError',
      issues: [
        { code: 'INVALID_EMAIL', path: 'email' },
        { code: 'INVALID_PHONE', path: 'phone' },
      ],
    });
    expect(await api.db.$count(contacts, eq(contacts.workspaceId, ws.workspaceId))).toBe(0);
  });

  it('rejects bad country, language and custom field keys and values', async () => {
    const ws = await api.createWorkspace();
    const result = await api.gql(ws.apiKey, CREATE, {
      input: {
        country: 'France',
        language: 'english!',
        customFields: { 'bad key': 'x', email: 'shadowed', count: 3, ok: 'fine' },
      },
    });
    expect(result.data.createContact.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'country' },
      { code: 'INVALID_VALUE', path: 'language' },
      { code: 'INVALID_VALUE', path: 'customFields.bad key' },
      { code: 'INVALID_VALUE', path: 'customFields.email' },
      { code: 'INVALID_VALUE', path: 'customFields.count' },
    ]);
    const notObject = await api.gql(ws.apiKey, CREATE, { input: { customFields: ['a'] } });
    expect(notObject.data.createContact.issues).toEqual([
      { code: 'INVALID_VALUE', path: 'customFields' },
    ]);
  });

  it('keeps custom fields named like Object.prototype members, __proto__ included', async () => {
    const ws = await api.createWorkspace();
    // JSON.parse, as the server reads the request: `__proto__` is an own key here.
    const customFields = JSON.parse('{"__proto__":"a","constructor":"b","toString":"c"}');
    const contact = await createContact(ws, { customFields });
    expect(contact.customFields).toEqual(customFields);
    const updated = await api.gql(ws.apiKey, UPDATE, {
      id: contact.id,
      input: { customFields: JSON.parse('{"__proto__":"changed"}') },
    });
    expect(updated.data.updateContact.data.customFields).toEqual(
      JSON.parse('{"__proto__":"changed"}'),
    );
    const [row] = await api.db
      .select({ customFields: contacts.customFields })
      .from(contacts)
      .where(eq(contacts.id, contact.id));
    expect(Object.entries(row!.customFields)).toEqual([['__proto__', 'changed']]);
  });

  it('updates only the given fields, clears fields set to null, and validates first', async () => {
    const ws = await api.createWorkspace();
    const contact = await createContact(ws, {
      firstName: 'Ada',
      email: 'ada@example.com',
      phone: '+15555550100',
    });
    const updated = await api.gql(ws.apiKey, UPDATE, {
      id: contact.id,
      input: { lastName: 'King', phone: null },
    });
    expect(updated.data.updateContact.data).toMatchObject({
      firstName: 'Ada',
      lastName: 'King',
      email: 'ada@example.com',
      phone: null,
    });
    const rejected = await api.gql(ws.apiKey, UPDATE, {
      id: contact.id,
      input: { firstName: 'X', email: 'nope' },
    });
    expect(rejected.data.updateContact.issues).toEqual([{ code: 'INVALID_EMAIL', path: 'email' }]);
    const after = await api.gql(ws.apiKey, `query ($id: ID!) { contact(id: $id) { firstName } }`, {
      id: contact.id,
    });
    expect(after.data.contact.firstName).toBe('Ada');
  });

  it('deletes a contact; deleting again is NotFoundError', async () => {
    const ws = await api.createWorkspace();
    const contact = await createContact(ws, { firstName: 'Temp' });
    expect((await api.gql(ws.apiKey, DELETE, { id: contact.id })).data.deleteContact.data).toBe(
      contact.id,
    );
    expect((await api.gql(ws.apiKey, DELETE, { id: contact.id })).data.deleteContact).toEqual({
      __typename: 'NotFoundError',
      entity: 'Contact',
      id: contact.id,
    });
  });

  it('searches by name, email or phone, matches email exactly, and pages stably', async () => {
    const ws = await api.createWorkspace();
    await createContact(ws, { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' });
    await createContact(ws, { firstName: 'Alan', lastName: 'Turing', phone: '+441234567890' });
    await createContact(ws, {
      firstName: 'Grace',
      lastName: 'Hopper',
      email: 'grace@navy.example',
    });
    await createContact(ws, { firstName: 'Percent', lastName: '100%' });
    const names = async (filter: Record<string, unknown>) => {
      const result = await api.gql(ws.apiKey, LIST, { filter });
      expect(result.data.contacts.totalCount).toBe(result.data.contacts.nodes.length);
      return result.data.contacts.nodes.map((n: { firstName: string }) => n.firstName);
    };
    expect(await names({ search: 'LOVE' })).toEqual(['Ada']);
    expect(await names({ search: 'ada lovelace' })).toEqual(['Ada']);
    expect(await names({ search: 'navy' })).toEqual(['Grace']);
    expect(await names({ search: '+4412' })).toEqual(['Alan']);
    expect(await names({ search: '%' })).toEqual(['Percent']);
    expect(await names({ email: 'ADA@example.com' })).toEqual(['Ada']);
    expect(await names({ email: 'ada' })).toEqual([]);

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: {
        data: {
          contacts: {
            nodes: { firstName: string }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        };
      } = await api.gql(ws.apiKey, LIST, { first: 3, after });
      seen.push(...page.data.contacts.nodes.map((n) => n.firstName));
      after = page.data.contacts.pageInfo.hasNextPage
        ? page.data.contacts.pageInfo.endCursor
        : null;
    } while (after);
    expect(seen).toEqual(['Ada', 'Alan', 'Grace', 'Percent']);
  });

  it('filters contacts that have an identity on a channel', async () => {
    const ws = await api.createWorkspace();
    const channelId = await api.createChannel(ws.apiKey);
    const ada = await createContact(ws, { firstName: 'Ada' });
    await createContact(ws, { firstName: 'Alan' });
    await api.gql(
      ws.apiKey,
      'mutation ($input: UpsertContactIdentityInput!) { upsertContactIdentity(input: $input) { __typename } }',
      { input: { contactId: ada.id, channelId, address: 'ada@example.com' } },
    );
    const result = await api.gql(ws.apiKey, LIST, { filter: { hasChannel: channelId } });
    expect(result.data.contacts.nodes).toEqual([{ firstName: 'Ada' }]);
    const malformed = await api.gql(ws.apiKey, LIST, { filter: { hasChannel: 'nope' } });
    expect(malformed.data.contacts.nodes).toEqual([]);
  });
});

describe('contact custom fields and pages (bug hunt)', () => {
  it('does not echo an overlong custom field key, and reports at most one issue per kind when there are too many fields', async () => {
    const ws = await api.createWorkspace();
    const longKey = 'k'.repeat(5000);
    const result = await api.gql(ws.apiKey, CREATE, {
      input: { customFields: { [longKey]: 'x' } },
    });
    const issues = result.data.createContact.issues as { path: string }[];
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path.length).toBeLessThan(200);
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`bad key ${i}`, 'x']));
    const tooMany = await api.gql(ws.apiKey, CREATE, { input: { customFields: many } });
    expect(tooMany.data.createContact.issues.length).toBeLessThanOrEqual(101);
  });

  const PAGE = /* GraphQL */ `
    query ($first: Int, $last: Int, $after: String, $before: String) {
      contacts(first: $first, last: $last, after: $after, before: $before) {
        nodes { firstName }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  `;

  it('reports pageInfo from the rows that remain when a cursor was deleted, in either direction', async () => {
    const ws = await api.createWorkspace();
    const ids: string[] = [];
    for (const firstName of ['A', 'B', 'C', 'D'])
      ids.push((await createContact(ws, { firstName })).id);
    const all = await api.gql(ws.apiKey, PAGE, { first: 4 });
    expect(all.errors).toBeUndefined();
    const cursors: string[] = [];
    for (let i = 0; i < 4; i++) {
      const page = await api.gql(ws.apiKey, PAGE, { first: 1, after: cursors[i - 1] ?? null });
      cursors.push(page.data.contacts.pageInfo.endCursor);
    }
    const page = async (vars: Record<string, unknown>) => {
      const result = await api.gql(ws.apiKey, PAGE, vars);
      expect(result.errors, JSON.stringify(vars)).toBeUndefined();
      const c = result.data.contacts;
      return {
        names: c.nodes.map((n: { firstName: string }) => n.firstName).join(''),
        next: c.pageInfo.hasNextPage,
        prev: c.pageInfo.hasPreviousPage,
      };
    };
    // Live cursors: as before.
    expect(await page({ first: 2, after: cursors[0] })).toEqual({
      names: 'BC',
      next: true,
      prev: true,
    });
    expect(await page({ last: 2, before: cursors[3] })).toEqual({
      names: 'BC',
      next: true,
      prev: true,
    });
    // Mixed directions with live cursors.
    expect(await page({ first: 1, before: cursors[3] })).toEqual({
      names: 'A',
      next: true,
      prev: false,
    });
    expect(await page({ last: 1, after: cursors[0] })).toEqual({
      names: 'D',
      next: false,
      prev: true,
    });
    // Delete A and D: the cursors at the ends now name nothing.
    for (const id of [ids[0]!, ids[3]!]) {
      await api.gql(ws.apiKey, DELETE, { id });
    }
    expect(await page({ first: 5, after: cursors[0] })).toEqual({
      names: 'BC',
      next: false,
      prev: false,
    });
    expect(await page({ last: 5, before: cursors[3] })).toEqual({
      names: 'BC',
      next: false,
      prev: false,
    });
    expect(await page({ first: 5, before: cursors[3] })).toEqual({
      names: 'BC',
      next: false,
      prev: false,
    });
    expect(await page({ last: 5, after: cursors[0] })).toEqual({
      names: 'BC',
      next: false,
      prev: false,
    });
    expect(await page({ first: 1, before: cursors[3] })).toEqual({
      names: 'B',
      next: true,
      prev: false,
    });
    expect(await page({ last: 1, after: cursors[0] })).toEqual({
      names: 'C',
      next: false,
      prev: true,
    });
    expect(await page({ first: 1, after: cursors[0] })).toEqual({
      names: 'B',
      next: true,
      prev: false,
    });
    expect(await page({ last: 1, before: cursors[3] })).toEqual({
      names: 'C',
      next: false,
      prev: true,
    });
    // Only rows the filter keeps count: B is before C, but not a "B…" contact's row.
    const filtered = await api.gql(
      ws.apiKey,
      'query ($after: String) { contacts(first: 5, after: $after, filter: { search: "C" }) { nodes { firstName } pageInfo { hasPreviousPage } } }',
      { after: cursors[1] },
    );
    expect(filtered.data.contacts).toEqual({
      nodes: [{ firstName: 'C' }],
      pageInfo: { hasPreviousPage: false },
    });
  });
});

describe('contact countries and e-mail domains (bug hunt)', () => {
  const CREATE_MESSAGES = CREATE.replace('issues { code path }', 'issues { code path message }');

  it('refuses a country that is no assigned ISO 3166-1 code (UK, EU, ZZ), on create and update', async () => {
    const ws = await api.createWorkspace();
    for (const [country, hint] of [
      ['UK', 'the United Kingdom is GB'],
      ['eu', 'EU is not a country'],
      ['ZZ', 'ZZ is not an assigned ISO 3166-1 alpha-2 code'],
    ] as const) {
      const result = await api.gql(ws.apiKey, CREATE_MESSAGES, { input: { country } });
      expect(result.data.createContact, country).toMatchObject({
        __typename: 'ValidationError',
        issues: [
          { code: 'INVALID_VALUE', path: 'country', message: expect.stringContaining(hint) },
        ],
      });
    }
    const contact = await createContact(ws, { firstName: 'Ada', country: 'gb' });
    expect(contact.country).toBe('GB');
    expect((await createContact(ws, { country: 'xk' })).country).toBe('XK');
    const updated = await api.gql(ws.apiKey, UPDATE, { id: contact.id, input: { country: 'uk' } });
    expect(updated.data.updateContact).toEqual({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'country' }],
    });
    const [row] = await api.db
      .select({ country: contacts.country })
      .from(contacts)
      .where(eq(contacts.id, contact.id));
    expect(row!.country).toBe('GB');
  });

  it('refuses a language tag over 64 characters, which would be stored and rendered whole', async () => {
    const ws = await api.createWorkspace();
    const long = `en-x-${'aaaaaaaa-'.repeat(2000)}a`;
    const result = await api.gql(ws.apiKey, CREATE, { input: { language: long } });
    expect(result.data.createContact).toEqual({
      __typename: 'ValidationError',
      issues: [{ code: 'INVALID_VALUE', path: 'language' }],
    });
    const fits = `en-x-${'aaaaaaaa-'.repeat(6)}aaaaa`;
    expect((await createContact(ws, { language: fits })).language).toBe(fits);
  });

  it('refuses an e-mail whose domain is an IP address without brackets or has a label over 63 characters', async () => {
    const ws = await api.createWorkspace();
    for (const email of ['ada@192.0.2.1', `ada@${'d'.repeat(64)}.example.com`]) {
      const result = await api.gql(ws.apiKey, CREATE, { input: { email } });
      expect(result.data.createContact, email).toEqual({
        __typename: 'ValidationError',
        issues: [{ code: 'INVALID_EMAIL', path: 'email' }],
      });
    }
    const ok = await createContact(ws, { email: `ada@${'d'.repeat(63)}.example.com` });
    expect(ok.email).toBe(`ada@${'d'.repeat(63)}.example.com`);
  });
});
