import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliveries, inboundMessages } from '../../db/schema';
import { publishWorkflow, seedContact, seedRunAt, sendConfig } from '../../edge/dispatch/test-seed';
import { useTestApi } from '../test-support';
import { seedLibrary } from '../workflows/test-fixtures';

const api = useTestApi();

const CONVERSATION = /* GraphQL */ `
  query ($id: ID!, $first: Int, $after: String) {
    contact(id: $id) {
      conversation(first: $first, after: $after) {
        nodes { id direction at text kind status providerStatus reasonCode runId channel { id type } }
        hasNextPage
        endCursor
      }
    }
  }
`;

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

/** A contact with two inbound messages and two deliveries, interleaved in time. */
async function conversationSetup() {
  const ws = await api.createWorkspace();
  const library = await seedLibrary(api.db, ws.workspaceId);
  const channelId = library.whatsapp.id;
  const contactId = await seedContact(api.db, ws.workspaceId, { phone: '+15550009000' });
  const someoneElse = await seedContact(api.db, ws.workspaceId, { phone: '+15550009001' });
  const inbound = (contact: string, id: string, text: string, at: Date) => ({
    workspaceId: ws.workspaceId,
    contactId: contact,
    channelId,
    providerMessageId: id,
    content: { type: 'text' as const, text },
    summary: text,
    receivedAt: at,
  });
  await api.db
    .insert(inboundMessages)
    .values([
      inbound(contactId, 'wamid.1', 'first question', minutesAgo(40)),
      inbound(contactId, 'wamid.3', 'second question', minutesAgo(20)),
      inbound(someoneElse, 'wamid.x', 'not in this conversation', minutesAgo(15)),
    ]);
  const { workflowId, versionId, stepIds } = await publishWorkflow(api.db, ws.workspaceId, [
    { key: 'send', type: 'send_message', config: sendConfig() },
  ]);
  const runId = await seedRunAt(api.db, {
    workspaceId: ws.workspaceId,
    workflowId,
    versionId,
    contactId,
    stepId: stepIds.send!,
  });
  const delivery = (visit: number, fields: Partial<typeof deliveries.$inferInsert>) => ({
    workspaceId: ws.workspaceId,
    runId,
    stepId: stepIds.send!,
    visit,
    channelId,
    attempts: 1,
    ...fields,
  });
  await api.db.insert(deliveries).values([
    delivery(1, {
      status: 'sent',
      contentSummary: 'first answer',
      sentAt: minutesAgo(30),
      providerStatus: 'read',
    }),
    delivery(2, {
      status: 'failed',
      contentSummary: 'late answer',
      sentAt: minutesAgo(10),
      providerStatus: 'failed',
      reasonCode: 'messaging_window_closed',
    }),
    // Never reached a channel: not part of the conversation.
    delivery(3, { status: 'failed', channelId: null, reasonCode: 'no_associated_channel' }),
  ]);
  return { ws, contactId, channelId, runId };
}

describe("a contact's conversation", () => {
  it('lists inbound and outbound messages newest first, in pages', async () => {
    const { ws, contactId, channelId, runId } = await conversationSetup();
    const first = await api.gql(ws.apiKey, CONVERSATION, { id: contactId, first: 2 });
    expect(first.errors).toBeUndefined();
    const page1 = first.data.contact.conversation;
    expect(page1.nodes).toEqual([
      expect.objectContaining({
        direction: 'OUTBOUND',
        text: 'late answer',
        status: 'FAILED',
        providerStatus: 'failed',
        reasonCode: 'MESSAGING_WINDOW_CLOSED',
        runId,
        channel: { id: channelId, type: 'WHATSAPP' },
      }),
      expect.objectContaining({
        direction: 'INBOUND',
        text: 'second question',
        kind: 'TEXT',
        status: null,
      }),
    ]);
    expect(page1.hasNextPage).toBe(true);
    const second = await api.gql(ws.apiKey, CONVERSATION, {
      id: contactId,
      first: 2,
      after: page1.endCursor,
    });
    const page2 = second.data.contact.conversation;
    expect(page2.nodes.map((node: { text: string }) => node.text)).toEqual([
      'first answer',
      'first question',
    ]);
    expect(page2.hasNextPage).toBe(false);
  });

  it('refuses a malformed cursor or page size as bad input', async () => {
    const { ws, contactId } = await conversationSetup();
    for (const variables of [
      { after: 'bm90IGEgY3Vyc29y' },
      { after: '' },
      // A timestamp past what Postgres's bigint holds: refused, not an internal error.
      { after: btoa('99999999999999999999|00000000-0000-4000-8000-000000000000') },
      { first: 0 },
      { first: 500 },
    ]) {
      const result = await api.gql(ws.apiKey, CONVERSATION, { id: contactId, ...variables });
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe(
        'BAD_USER_INPUT',
      );
    }
  });

  it('is not visible from another workspace', async () => {
    const { contactId } = await conversationSetup();
    const intruder = await api.createWorkspace();
    const result = await api.gql(intruder.apiKey, CONVERSATION, { id: contactId });
    expect(result.data.contact).toBeNull();
  });
});

describe('conversation pages (bug hunt)', () => {
  it('pages through messages from before 1970 with the cursors it gives out', async () => {
    const { ws, contactId, channelId } = await conversationSetup();
    await api.db.insert(inboundMessages).values(
      ['1969-12-31 23:59:59.9995+00', '1969-06-01 00:00:00+00'].map((at, index) => ({
        workspaceId: ws.workspaceId,
        contactId,
        channelId,
        providerMessageId: `wamid.old${index}`,
        content: { type: 'text' as const, text: `old ${index}` },
        summary: `old ${index}`,
        receivedAt: sql`${at}::timestamptz`,
      })),
    );
    const texts: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result = await api.gql(ws.apiKey, CONVERSATION, { id: contactId, first: 1, after });
      expect(result.errors).toBeUndefined();
      const conversation = result.data.contact.conversation;
      texts.push(...conversation.nodes.map((node: { text: string }) => node.text));
      if (conversation.nodes[0]?.text === 'old 0') {
        // Half a millisecond before 1970 is shown in its millisecond, not rounded into 1970.
        expect(conversation.nodes[0].at).toBe('1969-12-31T23:59:59.999Z');
      }
      if (!conversation.hasNextPage) break;
      after = conversation.endCursor;
    }
    expect(texts).toEqual([
      'late answer',
      'second question',
      'first answer',
      'first question',
      'old 0',
      'old 1',
    ]);
  });

  it('keeps its place when the message a cursor names is deleted', async () => {
    const { ws, contactId } = await conversationSetup();
    const first = await api.gql(ws.apiKey, CONVERSATION, { id: contactId, first: 2 });
    const page1 = first.data.contact.conversation;
    await api.db.delete(inboundMessages).where(eq(inboundMessages.id, page1.nodes[1].id));
    const second = await api.gql(ws.apiKey, CONVERSATION, {
      id: contactId,
      first: 2,
      after: page1.endCursor,
    });
    expect(
      second.data.contact.conversation.nodes.map((node: { text: string }) => node.text),
    ).toEqual(['first answer', 'first question']);
  });
});

describe('conversation cursors (bug hunt)', () => {
  it('refuses a cursor whose id is 36 hex digits and hyphens but no UUID as a malformed cursor', async () => {
    const { ws, contactId } = await conversationSetup();
    for (const id of ['-'.repeat(36), 'f'.repeat(36), `${'0'.repeat(32)}----`]) {
      const result = await api.gql(ws.apiKey, CONVERSATION, {
        id: contactId,
        after: btoa(`1764619200000000|${id}`),
      });
      expect(result.errors?.[0], id).toMatchObject({
        message: 'The conversation cursor is malformed',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });
});
