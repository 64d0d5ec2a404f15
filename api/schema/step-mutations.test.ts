import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { channels, files, snippets, steps, workflows } from '../../db/schema';
import { useTestApi } from '../test-support';
import { MAX_WORKFLOW_STEPS } from '../workflows/step-writes';
import {
  duringDelete,
  rowCounts,
  seedLibrary,
  storedStep,
  textConfig,
  workflowClient,
} from '../workflows/test-fixtures';

const api = useTestApi();
let workspaceId: string;
let client: ReturnType<typeof workflowClient>;
let library: Awaited<ReturnType<typeof seedLibrary>>;
let other: Awaited<ReturnType<typeof seedLibrary>>;

beforeAll(async () => {
  const workspace = await api.createWorkspace();
  workspaceId = workspace.workspaceId;
  client = workflowClient(api, workspace.apiKey);
  library = await seedLibrary(api.db, workspace.workspaceId);
  other = await seedLibrary(api.db, (await api.createWorkspace()).workspaceId);
  await api.db
    .insert(snippets)
    .values({ workspaceId: workspace.workspaceId, name: 'long', body: 'x'.repeat(1500) });
});

async function newWorkflow() {
  return (await client.createWorkflow()).id as string;
}

async function addText(workflowId: string, extra: Record<string, unknown> = {}) {
  return client.ok('addSendMessageStep', {
    input: { workflowId, config: textConfig(library.sms.id), ...extra },
  });
}

describe('adding and editing steps', () => {
  it('makes the first step the entry and appends later steps in order', async () => {
    const workflowId = await newWorkflow();
    const first = await addText(workflowId, { name: 'Welcome' });
    const wait = await client.ok('addWaitStep', {
      input: { workflowId, name: 'A day', seconds: 86_400 },
    });
    expect(first).toMatchObject({
      __typename: 'SendMessageStep',
      type: 'SEND_MESSAGE',
      position: 0,
    });
    expect(wait).toMatchObject({
      __typename: 'WaitStep',
      type: 'WAIT',
      seconds: 86_400,
      position: 1,
    });

    const workflow = await client.workflow(workflowId);
    expect(workflow.entryStep).toEqual({ id: first.id });
    expect(workflow.stepCount).toBe(2);
    expect(workflow.steps.map((step: { id: string }) => step.id)).toEqual([first.id, wait.id]);
    expect(workflow.status).toBe('DRAFT');
  });

  it('takes channel and file ids in upper case as the same rows (UUIDs are case-insensitive), stored lower-case', async () => {
    const workflowId = await newWorkflow();
    const step = await client.ok('addSendMessageStep', {
      input: {
        workflowId,
        config: {
          channel: { kind: 'SPECIFIC', channelId: library.sms.id.toUpperCase() },
          defaultMessage: { media: { fileId: library.file.id.toUpperCase() } },
        },
      },
    });
    expect((await storedStep(api.db, step.id))?.config).toMatchObject({
      channel: { kind: 'specific', channelId: library.sms.id },
      defaultMessage: { type: 'media', fileId: library.file.id },
    });
  });

  it('stores a full Send a Message config and reads it back in the same shape', async () => {
    const workflowId = await newWorkflow();
    const target = await addText(workflowId);
    const step = await client.ok('addSendMessageStep', {
      input: {
        workflowId,
        name: 'Offer',
        failureStepId: target.id,
        config: {
          channel: { kind: 'LAST_INTERACTED' },
          defaultMessage: { media: { fileId: library.file.id, caption: 'Our brochure' } },
          channelResponses: [
            {
              channelId: library.whatsapp.id,
              whatsappTemplate: {
                templateName: 'spring_offer',
                languageCode: 'en_US',
                parameters: ['$contact.firstname'],
              },
            },
            {
              channelId: library.messenger.id,
              messengerTagged: { tag: 'POST_PURCHASE_UPDATE', text: 'Your order shipped' },
            },
            { channelId: library.telegram.id, text: 'Hi 👋 $snippet.signature' },
          ],
          email: {
            subject: 'Spring offer for $contact.firstname',
            body: [
              { type: 'HEADING', level: 2, spans: [{ text: 'Spring', bold: true }] },
              {
                type: 'PARAGRAPH',
                spans: [{ text: 'See ' }, { text: 'the offer', link: 'https://example.com/o' }],
              },
              { type: 'LIST', ordered: true, items: [[{ text: 'One' }], [{ text: 'Two' }]] },
            ],
          },
          failureBranchEnabled: true,
        },
      },
    });
    expect(step.failureStepId).toBe(target.id);
    expect(step.config).toEqual({
      channel: { kind: 'LAST_INTERACTED', channelId: null, channel: null },
      defaultMessage: {
        __typename: 'MediaMessage',
        fileId: library.file.id,
        caption: 'Our brochure',
        file: { id: library.file.id, name: 'brochure.pdf' },
      },
      channelResponses: [
        {
          channelId: library.whatsapp.id,
          channel: { id: library.whatsapp.id, type: 'WHATSAPP' },
          content: {
            __typename: 'WhatsAppTemplateMessage',
            templateName: 'spring_offer',
            languageCode: 'en_US',
            parameters: ['$contact.firstname'],
          },
        },
        {
          channelId: library.messenger.id,
          channel: { id: library.messenger.id, type: 'MESSENGER' },
          content: {
            __typename: 'MessengerTaggedMessage',
            tag: 'POST_PURCHASE_UPDATE',
            text: 'Your order shipped',
          },
        },
        {
          channelId: library.telegram.id,
          channel: { id: library.telegram.id, type: 'TELEGRAM' },
          content: { __typename: 'TextMessage', text: 'Hi 👋 $snippet.signature' },
        },
      ],
      email: {
        subject: 'Spring offer for $contact.firstname',
        body: [
          {
            type: 'HEADING',
            level: 2,
            ordered: null,
            items: null,
            spans: [{ text: 'Spring', bold: true, italic: false, underline: false, link: null }],
          },
          {
            type: 'PARAGRAPH',
            level: null,
            ordered: null,
            items: null,
            spans: [
              { text: 'See ', bold: false, italic: false, underline: false, link: null },
              {
                text: 'the offer',
                bold: false,
                italic: false,
                underline: false,
                link: 'https://example.com/o',
              },
            ],
          },
          {
            type: 'LIST',
            level: null,
            ordered: true,
            spans: null,
            items: [
              [{ text: 'One', bold: false, link: null }],
              [{ text: 'Two', bold: false, link: null }],
            ],
          },
        ],
      },
      failureBranchEnabled: true,
    });
  });

  it('updates only the fields given and keeps the rest', async () => {
    const workflowId = await newWorkflow();
    const next = await addText(workflowId);
    const step = await addText(workflowId, { name: 'Before', nextStepId: next.id });
    const updated = await client.ok('updateSendMessageStep', {
      input: { stepId: step.id, name: 'After', config: textConfig(library.email.id, 'New text') },
    });
    expect(updated).toMatchObject({ name: 'After', nextStepId: next.id });
    expect(updated.config.defaultMessage.text).toBe('New text');
    expect(updated.config.channel.channel).toEqual({
      id: library.email.id,
      name: library.email.name,
      type: 'EMAIL',
    });

    const cleared = await client.ok('updateSendMessageStep', {
      input: { stepId: step.id, nextStepId: null },
    });
    expect(cleared).toMatchObject({ name: 'After', nextStepId: null });

    const wait = await client.ok('addWaitStep', { input: { workflowId, seconds: 60 } });
    const longer = await client.ok('updateWaitStep', { input: { stepId: wait.id, seconds: 3600 } });
    expect(longer.seconds).toBe(3600);
  });

  it('connects steps, moves the entry, and reroutes the entry when it is deleted', async () => {
    const workflowId = await newWorkflow();
    const a = await addText(workflowId);
    const b = await client.ok('addWaitStep', { input: { workflowId, seconds: 30 } });
    const c = await addText(workflowId);
    expect((await client.ok('connectSteps', { stepId: a.id, nextStepId: b.id })).nextStepId).toBe(
      b.id,
    );
    await client.ok('connectSteps', { stepId: b.id, nextStepId: c.id });

    const afterDelete = await client.ok('deleteStep', { stepId: a.id });
    expect(afterDelete.entryStep).toEqual({ id: b.id });
    expect(afterDelete.steps.map((step: { id: string }) => step.id)).toEqual([b.id, c.id]);

    const moved = await client.ok('setEntryStep', { workflowId, stepId: c.id });
    expect(moved.entryStep).toEqual({ id: c.id });

    // Deleting c clears b's edge to it (the foreign key sets it null).
    await client.ok('deleteStep', { stepId: c.id });
    const workflow = await client.workflow(workflowId);
    expect(workflow.entryStep).toBeNull();
    expect(workflow.steps).toMatchObject([{ id: b.id, nextStepId: null }]);
  });

  it('takes concurrent updates of one step in turn: the last writer wins, whole', async () => {
    const workflowId = await newWorkflow();
    const step = await addText(workflowId);
    const updates = Array.from({ length: 6 }, (_, index) => ({
      stepId: step.id,
      name: `Version ${index}`,
      config: textConfig(index % 2 ? library.sms.id : library.email.id, `Text ${index}`),
    }));
    const results = await Promise.all(
      updates.map((input) => client.run('updateSendMessageStep', { input })),
    );
    expect(results.map((result) => result.__typename)).toEqual(
      updates.map(() => 'MutationUpdateSendMessageStepSuccess'),
    );
    // No mix of two writes: the stored name, text and channel all come from one of them.
    const [stored] = (await client.workflow(workflowId)).steps;
    const winner = updates.find((input) => input.name === stored.name)!;
    expect(stored.config.defaultMessage.text).toBe(winner.config.defaultMessage.text);
    expect(stored.config.channel.channelId).toBe(winner.config.channel.channelId);
  });

  it('refuses to update a step as another type', async () => {
    const workflowId = await newWorkflow();
    const step = await addText(workflowId);
    const result = await client.run('updateWaitStep', { input: { stepId: step.id, seconds: 5 } });
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues).toMatchObject([{ code: 'INVALID_VALUE', path: 'stepId' }]);
  });

  it('reports an unknown step or workflow as NotFoundError', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [name, variables] of [
      ['addWaitStep', { input: { workflowId: missing, seconds: 5 } }],
      ['addWaitStep', { input: { workflowId: 'not-a-uuid', seconds: 5 } }],
      ['updateWaitStep', { input: { stepId: missing, seconds: 5 } }],
      ['deleteStep', { stepId: missing }],
      ['connectSteps', { stepId: missing, nextStepId: null }],
      ['setEntryStep', { workflowId: missing, stepId: missing }],
    ] as const) {
      const result = await client.run(name, variables);
      expect(result.__typename, name).toBe('NotFoundError');
    }
  });
});

describe('rejected step writes return a ValidationError and write nothing', () => {
  let workflowId: string;
  let existing: { id: string };
  let foreignStep: { id: string };

  beforeAll(async () => {
    workflowId = await newWorkflow();
    existing = await addText(workflowId);
    foreignStep = await addText(await newWorkflow());
  });

  async function expectRejected(
    config: Record<string, unknown>,
    expected: { code: string; path: string }[],
    extra: Record<string, unknown> = {},
  ) {
    const before = await rowCounts(api.db, [workspaceId]);
    const [workflowBefore] = await api.db
      .select()
      .from(workflows)
      .where(eq(workflows.id, workflowId));
    const result = await client.run('addSendMessageStep', {
      input: { workflowId, config, ...extra },
    });
    expect(result.__typename, JSON.stringify(result)).toBe('ValidationError');
    expect(result.issues).toEqual(
      expected.map((issue) => ({ ...issue, message: expect.any(String), stepId: null })),
    );
    expect(await rowCounts(api.db, [workspaceId])).toEqual(before);
    const [workflowAfter] = await api.db
      .select()
      .from(workflows)
      .where(eq(workflows.id, workflowId));
    expect(workflowAfter).toEqual(workflowBefore);
  }

  it('text over 2,000 characters once snippets are expanded', async () => {
    const text = `${'y'.repeat(600)} $snippet.long`;
    expect(text.length).toBeLessThan(2000);
    await expectRejected(textConfig(library.sms.id, text), [
      { code: 'TEXT_TOO_LONG', path: 'config.defaultMessage.text' },
    ]);
  });

  it('text whose one "character" carries 300,000 combining marks', async () => {
    await expectRejected(textConfig(library.sms.id, `a${'\u0301'.repeat(300_000)}`), [
      { code: 'TEXT_TOO_LONG', path: 'config.defaultMessage.text' },
    ]);
    // 2,000 of the longest emoji sequences (19 UTF-16 units each) are 2,000 characters.
    await client.ok('updateSendMessageStep', {
      input: {
        stepId: existing.id,
        config: textConfig(library.sms.id, '🧑🏻‍🧑🏼‍🧒🏽‍🧒🏾'.repeat(2000)),
      },
    });
  });

  it('a position outside 0 to 1,000,000, so that appending never overflows', async () => {
    for (const position of [2_147_483_647, 1_000_001, -1]) {
      await expectRejected(
        textConfig(library.sms.id),
        [{ code: 'INVALID_VALUE', path: 'position' }],
        { position },
      );
      const wait = await client.run('addWaitStep', { input: { workflowId, seconds: 5, position } });
      expect(wait.issues).toMatchObject([{ code: 'INVALID_VALUE', path: 'position' }]);
      const update = await client.run('updateSendMessageStep', {
        input: { stepId: existing.id, position },
      });
      expect(update.issues).toMatchObject([{ code: 'INVALID_VALUE', path: 'position' }]);
    }
    // The highest position is taken, and a step appended after it goes one past it.
    const highest = await client.ok('addWaitStep', {
      input: { workflowId, seconds: 5, position: 1_000_000 },
    });
    const appended = await client.ok('addWaitStep', { input: { workflowId, seconds: 5 } });
    expect([highest.position, appended.position]).toEqual([1_000_000, 1_000_001]);
    await client.ok('deleteStep', { stepId: highest.id });
    await client.ok('deleteStep', { stepId: appended.id });
  });

  it('an e-mail body over 100,000 characters, 200 blocks, or 500 spans in a block', async () => {
    const block = { type: 'PARAGRAPH', spans: [{ text: 'x'.repeat(10_000) }] };
    await expectRejected(
      { ...textConfig(library.email.id), email: { body: Array.from({ length: 11 }, () => block) } },
      [{ code: 'TEXT_TOO_LONG', path: 'config.email.body' }],
    );
    const empty = { type: 'PARAGRAPH', spans: [] };
    await expectRejected(
      {
        ...textConfig(library.email.id),
        email: { body: Array.from({ length: 201 }, () => empty) },
      },
      [{ code: 'INVALID_VALUE', path: 'config.email.body' }],
    );
    const items = Array.from({ length: 501 }, () => []);
    await expectRejected(
      { ...textConfig(library.email.id), email: { body: [{ type: 'LIST', items }] } },
      [{ code: 'INVALID_VALUE', path: 'config.email.body[0]' }],
    );
  });

  it(`a step past the ${MAX_WORKFLOW_STEPS} a workflow may have`, async () => {
    const full = await newWorkflow();
    await api.db.insert(steps).values(
      Array.from({ length: MAX_WORKFLOW_STEPS - 1 }, (_, position) => ({
        workspaceId,
        workflowId: full,
        type: 'wait' as const,
        config: { seconds: 60 },
        position,
      })),
    );
    const last = await client.run('addWaitStep', { input: { workflowId: full, seconds: 60 } });
    expect(last.__typename).toBe('MutationAddWaitStepSuccess');
    const before = await rowCounts(api.db, [workspaceId]);
    for (const result of [
      await client.run('addWaitStep', { input: { workflowId: full, seconds: 60 } }),
      await client.run('addSendMessageStep', {
        input: { workflowId: full, config: textConfig(library.sms.id) },
      }),
    ]) {
      expect(result.issues).toMatchObject([{ code: 'INVALID_VALUE', path: 'workflowId' }]);
    }
    expect(await rowCounts(api.db, [workspaceId])).toEqual(before);
    // Deleting one makes room again.
    await client.ok('deleteStep', { stepId: last.data.id });
    await client.ok('addWaitStep', { input: { workflowId: full, seconds: 60 } });
  });

  it('an unknown snippet', async () => {
    await expectRejected(textConfig(library.sms.id, 'Hi $snippet.nope'), [
      { code: 'UNKNOWN_SNIPPET', path: 'config.defaultMessage.text' },
    ]);
  });

  it('an unknown file, including an id that is not a UUID', async () => {
    for (const fileId of ['00000000-0000-4000-8000-000000000001', 'brochure']) {
      await expectRejected(
        { channel: { kind: 'LAST_INTERACTED' }, defaultMessage: { media: { fileId } } },
        [{ code: 'UNKNOWN_FILE', path: 'config.defaultMessage.fileId' }],
      );
    }
  });

  it('a channel that is not connected', async () => {
    await expectRejected(textConfig(library.disconnected.id), [
      { code: 'CHANNEL_NOT_CONNECTED', path: 'config.channel.channelId' },
    ]);
  });

  it("another workspace's channel, file and snippet", async () => {
    await expectRejected(textConfig(other.sms.id), [
      { code: 'CHANNEL_NOT_FOUND', path: 'config.channel.channelId' },
    ]);
    await expectRejected(
      {
        channel: { kind: 'LAST_INTERACTED' },
        defaultMessage: { media: { fileId: other.file.id } },
      },
      [{ code: 'UNKNOWN_FILE', path: 'config.defaultMessage.fileId' }],
    );
    await api.db
      .insert(snippets)
      .values({ workspaceId: other.sms.workspaceId, name: 'theirs', body: 'theirs' });
    await expectRejected(textConfig(library.sms.id, '$snippet.theirs'), [
      { code: 'UNKNOWN_SNIPPET', path: 'config.defaultMessage.text' },
    ]);
  });

  it('a message type the channel cannot send', async () => {
    await expectRejected(
      {
        ...textConfig(library.sms.id),
        channelResponses: [
          {
            channelId: library.telegram.id,
            whatsappTemplate: { templateName: 'offer', languageCode: 'en' },
          },
        ],
      },
      [{ code: 'UNSUPPORTED_MESSAGE_TYPE', path: 'config.channelResponses[0].content.type' }],
    );
    await expectRejected(
      {
        ...textConfig(library.sms.id),
        channelResponses: [
          { channelId: library.whatsapp.id, messengerTagged: { tag: 'HUMAN_AGENT', text: 'Hi' } },
        ],
      },
      [{ code: 'UNSUPPORTED_MESSAGE_TYPE', path: 'config.channelResponses[0].content.type' }],
    );
  });

  it('the failure branch switched on without a target', async () => {
    await expectRejected({ ...textConfig(library.sms.id), failureBranchEnabled: true }, [
      { code: 'FAILURE_TARGET_REQUIRED', path: 'failureStepId' },
    ]);
  });

  it('a failure target in another workflow', async () => {
    await expectRejected(
      { ...textConfig(library.sms.id), failureBranchEnabled: true },
      [{ code: 'FAILURE_TARGET_INVALID', path: 'failureStepId' }],
      { failureStepId: foreignStep.id },
    );
  });

  it('an empty failure target id, with the branch on or off (not an internal error)', async () => {
    for (const failureBranchEnabled of [true, false]) {
      await expectRejected(
        { ...textConfig(library.sms.id), failureBranchEnabled },
        [{ code: 'FAILURE_TARGET_INVALID', path: 'failureStepId' }],
        { failureStepId: '' },
      );
    }
    const before = await storedStep(api.db, existing.id);
    const result = await client.run('updateSendMessageStep', {
      input: { stepId: existing.id, failureStepId: '' },
    });
    expect(result.issues).toMatchObject([
      { code: 'FAILURE_TARGET_INVALID', path: 'failureStepId' },
    ]);
    expect(await storedStep(api.db, existing.id)).toEqual(before);
  });

  it('a next step in another workflow', async () => {
    await expectRejected(
      textConfig(library.sms.id),
      [{ code: 'STEP_NOT_IN_WORKFLOW', path: 'nextStepId' }],
      { nextStepId: foreignStep.id },
    );
  });

  it('a default message with both or neither of text and media', async () => {
    await expectRejected(
      {
        channel: { kind: 'LAST_INTERACTED' },
        defaultMessage: { text: 'Hi', media: { fileId: library.file.id } },
      },
      [{ code: 'INVALID_VALUE', path: 'config.defaultMessage' }],
    );
    await expectRejected({ channel: { kind: 'LAST_INTERACTED' }, defaultMessage: {} }, [
      { code: 'INVALID_VALUE', path: 'config.defaultMessage' },
    ]);
  });

  it('a SPECIFIC channel without an id, and a heading without a valid level', async () => {
    await expectRejected(
      {
        channel: { kind: 'SPECIFIC' },
        defaultMessage: { text: 'Hi' },
        email: { body: [{ type: 'HEADING', level: 7, spans: [{ text: 'Big' }] }] },
      },
      [
        { code: 'INVALID_VALUE', path: 'config.channel.channelId' },
        { code: 'INVALID_VALUE', path: 'config.email.body[0].level' },
      ],
    );
  });

  it('e-mail body spans, blocks and links over their limits (10,000 per block, 2,000 per link)', async () => {
    const half = 'x'.repeat(5000);
    await expectRejected(
      {
        ...textConfig(library.email.id),
        email: {
          body: [
            { type: 'PARAGRAPH', spans: [{ text: half }, { text: half }] },
            { type: 'PARAGRAPH', spans: [{ text: 'Hi' }, { text: `${half}${half}!` }] },
            { type: 'LIST', items: [[{ text: half }], [{ text: half }, { text: '!' }]] },
            {
              type: 'HEADING',
              level: 2,
              spans: [{ text: 'Go', link: `https://example.com/${'a'.repeat(2000)}` }],
            },
          ],
        },
      },
      [
        { code: 'TEXT_TOO_LONG', path: 'config.email.body[1].spans[1].text' },
        { code: 'TEXT_TOO_LONG', path: 'config.email.body[2]' },
        { code: 'TEXT_TOO_LONG', path: 'config.email.body[3].spans[0].link' },
      ],
    );
  });

  it('an invalid update leaves the stored step as it was', async () => {
    const before = await storedStep(api.db, existing.id);
    const rejected = [
      { config: textConfig(other.sms.id) },
      { failureStepId: foreignStep.id },
      { nextStepId: foreignStep.id },
      { config: { ...textConfig(library.sms.id), failureBranchEnabled: true } },
    ];
    for (const changes of rejected) {
      const result = await client.run('updateSendMessageStep', {
        input: { stepId: existing.id, name: 'Renamed', ...changes },
      });
      expect(result.__typename, JSON.stringify(changes)).toBe('ValidationError');
    }
    const connect = await client.run('connectSteps', {
      stepId: existing.id,
      nextStepId: foreignStep.id,
    });
    expect(connect.issues).toMatchObject([{ code: 'STEP_NOT_IN_WORKFLOW' }]);
    const entry = await client.run('setEntryStep', { workflowId, stepId: foreignStep.id });
    expect(entry.issues).toMatchObject([{ code: 'STEP_NOT_IN_WORKFLOW', path: 'stepId' }]);
    const wait = await client.run('addWaitStep', { input: { workflowId, seconds: 0 } });
    expect(wait.issues).toMatchObject([{ code: 'INVALID_VALUE', path: 'seconds' }]);
    expect(await storedStep(api.db, existing.id)).toEqual(before);
  });
});

describe('templates and links as the providers and the email renderer take them', () => {
  const CONTENT_SID = 'HX0123456789abcdef0123456789abcdef';

  async function whatsappChannel(provider: 'twilio' | 'vonage') {
    const [row] = await api.db
      .insert(channels)
      .values({
        workspaceId,
        type: 'whatsapp',
        provider,
        name: `WhatsApp ${provider}`,
        status: 'connected',
        ...(provider === 'twilio'
          ? {
              templates: [
                {
                  name: CONTENT_SID,
                  language: 'en',
                  status: 'APPROVED',
                  category: 'UTILITY',
                  bodyParameters: 1,
                  otherParameters: 0,
                },
              ],
              templatesSyncedAt: new Date(),
            }
          : {}),
      })
      .returning();
    return row!.id;
  }

  function templateConfig(channelId: string, templateName: string) {
    return {
      channel: { kind: 'SPECIFIC', channelId },
      defaultMessage: { text: 'Hello' },
      channelResponses: [
        {
          channelId,
          whatsappTemplate: { templateName, languageCode: 'en', parameters: ['$contact.name'] },
        },
      ],
    };
  }

  it('saves a Twilio template step named by its Content SID, checked against the listing', async () => {
    const channelId = await whatsappChannel('twilio');
    const workflowId = await newWorkflow();
    const saved = await client.ok('addSendMessageStep', {
      input: { workflowId, config: templateConfig(channelId, CONTENT_SID) },
    });
    expect(saved.config.channelResponses[0].content).toMatchObject({
      templateName: CONTENT_SID,
      parameters: ['$contact.name'],
    });
    const unknown = await client.run('addSendMessageStep', {
      input: { workflowId, config: templateConfig(channelId, `HX${'f'.repeat(32)}`) },
    });
    expect(unknown.issues).toMatchObject([
      { code: 'TEMPLATE_NOT_FOUND', path: 'config.channelResponses[0].content.templateName' },
    ]);
  });

  it('refuses a template step on a Vonage WhatsApp channel, whose templates are not listed', async () => {
    const channelId = await whatsappChannel('vonage');
    const workflowId = await newWorkflow();
    const before = await rowCounts(api.db, [workspaceId]);
    const result = await client.run('addSendMessageStep', {
      input: { workflowId, config: templateConfig(channelId, 'order_update') },
    });
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues).toMatchObject([
      { code: 'TEMPLATES_UNAVAILABLE', path: 'config.channelResponses[0].content.templateName' },
    ]);
    expect(await rowCounts(api.db, [workspaceId])).toEqual(before);
    // Text still goes out on it.
    await client.ok('addSendMessageStep', {
      input: { workflowId, config: textConfig(channelId) },
    });
  });

  it('saves email links to tel: and links that are a variable, and publishes them', async () => {
    const workflowId = await newWorkflow();
    const body = [
      {
        type: 'PARAGRAPH',
        spans: [
          { text: 'Call us', link: 'tel:+447700900123' },
          { text: ' or visit ' },
          { text: 'your page', link: '$contact.website' },
        ],
      },
    ];
    const saved = await client.ok('addSendMessageStep', {
      input: { workflowId, config: { ...textConfig(library.email.id), email: { body } } },
    });
    expect(saved.config.email.body[0].spans.map((span: { link: string }) => span.link)).toEqual([
      'tel:+447700900123',
      null,
      '$contact.website',
    ]);
    await client.ok('publishWorkflow', { workflowId });
    const refused = await client.run('addSendMessageStep', {
      input: {
        workflowId,
        config: {
          ...textConfig(library.email.id),
          email: {
            body: [{ type: 'PARAGRAPH', spans: [{ text: 'x', link: 'javascript:alert(1)' }] }],
          },
        },
      },
    });
    expect(refused.issues).toMatchObject([
      { code: 'INVALID_URL', path: 'config.email.body[0].spans[0].link' },
    ]);
  });
});

describe('a channel, file or snippet deleted while a step write names it', () => {
  it('makes the write answer as if the delete came first, writing nothing', async () => {
    const workflowId = await newWorkflow();
    const step = await addText(workflowId);
    const [channel] = await api.db
      .insert(channels)
      .values({ workspaceId, type: 'sms', name: 'Going away', status: 'connected' })
      .returning();
    const [file] = await api.db
      .insert(files)
      .values({
        workspaceId,
        name: 'gone.pdf',
        contentType: 'application/pdf',
        sizeBytes: 10,
        url: 'https://files.example.com/gone.pdf',
      })
      .returning();
    await api.db.insert(snippets).values({ workspaceId, name: 'going', body: 'Soon gone' });
    const before = await rowCounts(api.db, [workspaceId]);

    const added = await duringDelete(
      api.db,
      (tx) => tx.delete(channels).where(eq(channels.id, channel!.id)),
      () =>
        client.run('addSendMessageStep', {
          input: { workflowId, config: textConfig(channel!.id) },
        }),
    );
    expect(added.issues).toMatchObject([
      { code: 'CHANNEL_NOT_FOUND', path: 'config.channel.channelId' },
    ]);
    expect(await rowCounts(api.db, [workspaceId])).toEqual(before);

    const stored = await storedStep(api.db, step.id);
    const media = await duringDelete(
      api.db,
      (tx) => tx.delete(files).where(eq(files.id, file!.id)),
      () =>
        client.run('updateSendMessageStep', {
          input: {
            stepId: step.id,
            config: {
              channel: { kind: 'LAST_INTERACTED' },
              defaultMessage: { media: { fileId: file!.id } },
            },
          },
        }),
    );
    expect(media.issues).toMatchObject([
      { code: 'UNKNOWN_FILE', path: 'config.defaultMessage.fileId' },
    ]);
    const snippet = await duringDelete(
      api.db,
      (tx) =>
        tx
          .delete(snippets)
          .where(and(eq(snippets.workspaceId, workspaceId), eq(snippets.name, 'going'))),
      () =>
        client.run('updateSendMessageStep', {
          input: { stepId: step.id, config: textConfig(library.sms.id, '$snippet.going') },
        }),
    );
    expect(snippet.issues).toMatchObject([
      { code: 'UNKNOWN_SNIPPET', path: 'config.defaultMessage.text' },
    ]);
    expect(await storedStep(api.db, step.id)).toEqual(stored);
  });
});
