import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries, emailThreads, runs } from '../../db/schema';
import { type SmtpReceiver, startSmtpReceiver } from '../../test/fakes/smtp-receiver';
import {
  publishWorkflow,
  readDeliveries,
  seedContact,
  seedEmailChannel,
  seedWorkspace,
  sendConfig,
  waitForRun,
} from './test-seed';
import { type DispatchHarness, startDispatchHarness, startThroughApi } from './test-support';

/**
 * Email through the whole pipeline in workerd, received by a real SMTP server and parsed by a
 * real MIME parser: one thread per workflow, contact and channel, across runs, and a repeated
 * send after a crash is the same message (same Message-ID).
 */

let harness: DispatchHarness;
let smtp: SmtpReceiver;
let setup: {
  workspaceId: string;
  apiKey: string;
  channelId: string;
  workflowId: string;
  stepIds: Record<string, string>;
};

beforeAll(async () => {
  smtp = await startSmtpReceiver({ security: 'none' });
  harness = await startDispatchHarness();
  const { workspaceId, apiKey } = await seedWorkspace(harness.db);
  const channelId = await seedEmailChannel(harness, workspaceId, {
    host: smtp.host,
    port: smtp.port,
    fromAddress: 'news@sendflow.test',
  });
  const email = (subject: string) =>
    sendConfig({
      channel: { kind: 'specific', channelId },
      defaultMessage: { type: 'text', text: 'fallback text' },
      email: {
        subject,
        body: [{ type: 'paragraph', spans: [{ text: 'Hi $contact.firstname <3' }] }],
      },
    });
  const { workflowId, stepIds } = await publishWorkflow(harness.db, workspaceId, [
    {
      key: 'welcome',
      type: 'send_message',
      config: email('Welcome, $contact.firstname'),
      next: 'tips',
    },
    { key: 'tips', type: 'send_message', config: email('Tips') },
  ]);
  setup = { workspaceId, apiKey, channelId, workflowId, stepIds };
});

afterAll(async () => {
  await harness?.close();
  await smtp?.close();
});

function mailsTo(address: string) {
  return smtp.messages.filter((mail) => mail.envelope.to.includes(address));
}

describe('email threads', () => {
  it('chain Message-ID, In-Reply-To and References across the sends of two runs', async () => {
    const contactId = await seedContact(harness.db, setup.workspaceId, {
      firstName: '<Ada>',
      email: 'ada@example.com',
    });
    const [first] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    await waitForRun(harness.db, first!, (r) => r.status === 'completed');
    const [second] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    await waitForRun(harness.db, second!, (r) => r.status === 'completed');

    const mails = mailsTo('ada@example.com').map((mail) => mail.parsed);
    expect(mails.map((mail) => mail.subject)).toEqual([
      'Welcome, <Ada>',
      'Tips',
      'Welcome, <Ada>',
      'Tips',
    ]);
    const sent = [
      ...(await readDeliveries(harness.db, first!)),
      ...(await readDeliveries(harness.db, second!)),
    ].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const ids = mails.map((mail) => mail.messageId);
    expect(ids).toEqual(sent.map((delivery) => delivery.messageIdHeader));
    expect(ids[0]).toBe(`<${sent[0]!.id}@sendflow.test>`);
    const [one, two, three, four] = mails;
    expect(one!.inReplyTo).toBeUndefined();
    expect(one!.references).toBeUndefined();
    expect(two!.inReplyTo).toBe(ids[0]);
    expect(two!.references).toBe(ids[0]);
    // The second run continues the thread the first one started.
    expect(three!.inReplyTo).toBe(ids[1]);
    expect(three!.references).toEqual([ids[0], ids[1]]);
    expect(four!.inReplyTo).toBe(ids[2]);
    expect(four!.references).toEqual([ids[0], ids[1], ids[2]]);
    // Contact values are escaped in the HTML body and kept as typed in the text part.
    expect(one!.html).toContain('Hi &lt;Ada&gt; &lt;3');
    expect(one!.text).toContain('Hi <Ada> <3');

    const [thread] = await harness.db
      .select()
      .from(emailThreads)
      .where(eq(emailThreads.contactId, contactId));
    expect(thread!.messageIds).toEqual(ids);
  });

  it('a send repeated after a crash carries the same Message-ID and thread headers', async () => {
    const contactId = await seedContact(harness.db, setup.workspaceId, {
      firstName: 'Bo',
      email: 'bo@example.com',
    });
    const [runId] = await startThroughApi(harness, setup.apiKey, setup.workflowId, [contactId]);
    await waitForRun(harness.db, runId!, (r) => r.status === 'completed');
    const tips = (await readDeliveries(harness.db, runId!)).find(
      (d) => d.stepId === setup.stepIds.tips,
    )!;

    // The server accepted "Tips" but the consumer died before recording it: no delivery row,
    // the run still on the step with its claim for that delivery expired, and the thread does
    // not list the message yet.
    await harness.db.delete(deliveries).where(eq(deliveries.id, tips.id));
    await harness.db
      .update(runs)
      .set({
        status: 'active',
        currentStepId: setup.stepIds.tips,
        stepVisit: 2,
        endedAt: null,
        deliveryId: tips.id,
        deliveryAttempts: 1,
        deliveryFinished: false,
        leaseUntil: new Date(Date.now() - 1000),
      })
      .where(eq(runs.id, runId!));
    const [thread] = await harness.db
      .select()
      .from(emailThreads)
      .where(eq(emailThreads.contactId, contactId));
    await harness.db
      .update(emailThreads)
      .set({ messageIds: thread!.messageIds.slice(0, 1) })
      .where(eq(emailThreads.id, thread!.id));

    await harness.worker.triggerScheduled();
    await waitForRun(harness.db, runId!, (r) => r.status === 'completed');
    const mails = mailsTo('bo@example.com').map((mail) => mail.parsed);
    expect(mails.map((mail) => mail.subject)).toEqual(['Welcome, Bo', 'Tips', 'Tips']);
    expect(mails[2]!.messageId).toBe(mails[1]!.messageId);
    expect(mails[2]!.messageId).toBe(tips.messageIdHeader);
    expect(mails[2]!.inReplyTo).toBe(mails[1]!.inReplyTo);
    expect(mails[2]!.references).toEqual(mails[1]!.references);
    const [after] = await harness.db
      .select()
      .from(emailThreads)
      .where(eq(emailThreads.contactId, contactId));
    expect(after!.messageIds).toEqual([mails[0]!.messageId, mails[1]!.messageId]);
  });
});
