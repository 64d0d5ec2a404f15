import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type InboxMessage, startInbox } from './inbox-servers';

/**
 * `npm run example`: with `npm start` running, builds the README's welcome thread end to end
 * in one command. It starts its own inbox (an SMTP server and a webhook endpoint on free
 * loopback ports), connects an email channel and a custom (webhook) channel to it, adds Ada,
 * publishes "welcome email → 5 s wait → follow-up email in the same thread → webhook", starts
 * it, and waits until both emails and the webhook have arrived and the run has completed.
 * Exits 0 when everything was delivered, 1 otherwise. Reads the API key from
 * `.data/local-api-key` (or SENDFLOW_API_KEY) and the address from PORT (or SENDFLOW_URL).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DELIVERY_TIMEOUT_MS = 180_000;

// biome-ignore lint/suspicious/noExplicitAny: GraphQL results are walked by field name
type Json = any;

const dataDir = resolve(process.env.SENDFLOW_DATA_DIR ?? resolve(ROOT, '.data'));
const baseUrl = process.env.SENDFLOW_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;

async function apiKey(): Promise<string> {
  if (process.env.SENDFLOW_API_KEY) return process.env.SENDFLOW_API_KEY;
  const stored = await readFile(resolve(dataDir, 'local-api-key'), 'utf8').catch(() => '');
  if (!stored.trim())
    throw new Error(`No API key in ${dataDir}/local-api-key: run npm start first`);
  return stored.trim();
}

/** Runs one operation; returns the `data` of its single success payload, or throws. */
async function run(key: string, query: string, variables: object): Promise<Json> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body: Json = await response.json();
  if (body.errors) throw new Error(`${response.status}: ${JSON.stringify(body.errors)}`);
  const [result] = Object.values(body.data) as Json[];
  if (
    result?.__typename &&
    !result.__typename.endsWith('Success') &&
    result.__typename !== 'Step'
  ) {
    throw new Error(JSON.stringify(result));
  }
  return result?.data ?? result;
}

/** What every mutation result selects: its type, and the validation issues when it has them. */
const RESULT_FIELDS = `__typename ... on ValidationError { issues { code path message } }`;
/** The same, for results that may also be a NotFoundError. */
const STEP_RESULT_FIELDS = `${RESULT_FIELDS} ... on NotFoundError { message }`;

function createChannel(key: string, input: object): Promise<Json> {
  return run(
    key,
    `mutation CreateChannel($input: CreateChannelInput!) { createChannel(input: $input) {
      ${RESULT_FIELDS} ... on MutationCreateChannelSuccess { data { id } } } }`,
    { input },
  );
}

function addSend(key: string, input: object): Promise<Json> {
  return run(
    key,
    `mutation AddSend($input: AddSendMessageStepInput!) { addSendMessageStep(input: $input) {
      ${STEP_RESULT_FIELDS} ... on MutationAddSendMessageStepSuccess { data { id } } } }`,
    { input },
  );
}

async function main(): Promise<boolean> {
  const key = await apiKey();
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const received: InboxMessage[] = [];
  const inbox = await startInbox({
    smtpPort: 0,
    webhookPort: 0,
    webhookSecret: secret,
    saveTo: resolve(dataDir, 'inbox'),
    onMessage(message) {
      received.push(message);
      if (message.kind === 'email') {
        console.log(`  email   "${message.subject}" ${message.messageId}`);
        if (message.inReplyTo) console.log(`          in reply to ${message.inReplyTo}`);
        if (message.files?.html) console.log(`          ${message.files.html}`);
      } else {
        console.log(`  webhook ${message.webhookId} (signature ${message.signature})`);
      }
    },
  });
  try {
    console.log(
      `Sendflow at ${baseUrl}; inbox on smtp://127.0.0.1:${inbox.smtpPort} and ${inbox.webhookUrl}`,
    );
    const email = await createChannel(key, {
      type: 'EMAIL',
      name: 'Example inbox',
      settings: {
        email: {
          host: '127.0.0.1',
          port: inbox.smtpPort,
          security: 'NONE',
          fromAddress: 'hello@example.com',
          fromName: 'Sendflow',
        },
      },
      credentials: { email: { username: 'hello', password: 'not-checked-locally' } },
    });
    const webhook = await createChannel(key, {
      type: 'CUSTOM',
      name: 'Example webhook',
      settings: { custom: { url: inbox.webhookUrl } },
      credentials: { custom: { signingSecret: secret } },
    });
    const contact = await run(
      key,
      `mutation CreateContact($input: ContactInput!) { createContact(input: $input) {
        ${RESULT_FIELDS} ... on MutationCreateContactSuccess { data { id } } } }`,
      {
        input: {
          firstName: 'Ada',
          lastName: 'Lovelace',
          email: 'ada@example.com',
          language: 'en-GB',
        },
      },
    );
    const workflow = await run(
      key,
      `mutation CreateWorkflow($input: CreateWorkflowInput!) { createWorkflow(input: $input) {
        ${RESULT_FIELDS} ... on MutationCreateWorkflowSuccess { data { id } } } }`,
      { input: { name: `Example ${new Date().toISOString()}`, description: 'npm run example' } },
    );
    const specific = (channelId: string) => ({ kind: 'SPECIFIC', channelId });
    const welcome = await addSend(key, {
      workflowId: workflow.id,
      name: 'Welcome email',
      config: {
        channel: specific(email.id),
        defaultMessage: { text: 'Welcome aboard, $contact.firstname!' },
        email: {
          subject: 'Welcome, $contact.name',
          body: [
            { type: 'HEADING', level: 1, spans: [{ text: 'Hello $contact.firstname' }] },
            { type: 'PARAGRAPH', spans: [{ text: 'Your id is $contact.id.' }] },
          ],
        },
      },
    });
    const wait = await run(
      key,
      `mutation AddWait($input: AddWaitStepInput!) { addWaitStep(input: $input) {
        ${STEP_RESULT_FIELDS} ... on MutationAddWaitStepSuccess { data { id } } } }`,
      { input: { workflowId: workflow.id, name: 'Five seconds', seconds: 5 } },
    );
    const followUp = await addSend(key, {
      workflowId: workflow.id,
      name: 'Follow-up',
      config: {
        channel: specific(email.id),
        defaultMessage: { text: 'Any questions, $contact.firstname? Just reply.' },
        email: { subject: 'Re: Welcome, $contact.name' },
      },
    });
    const notify = await addSend(key, {
      workflowId: workflow.id,
      name: 'Tell our backend',
      config: {
        channel: specific(webhook.id),
        defaultMessage: { text: '$contact.name ($contact.language) got the welcome thread' },
      },
    });
    for (const [stepId, nextStepId] of [
      [welcome.id, wait.id],
      [wait.id, followUp.id],
      [followUp.id, notify.id],
    ]) {
      await run(
        key,
        `mutation Link($stepId: ID!, $nextStepId: ID) { connectSteps(stepId: $stepId, nextStepId: $nextStepId) {
          ${STEP_RESULT_FIELDS} } }`,
        { stepId, nextStepId },
      );
    }
    await run(
      key,
      `mutation Publish($id: ID!) { publishWorkflow(workflowId: $id) {
        __typename ... on MutationPublishWorkflowSuccess { data { version { version } } }
        ... on PublishRejected { report { errors { code message } } } } }`,
      { id: workflow.id },
    );
    await run(
      key,
      `mutation Start($input: StartWorkflowInput!) { startWorkflow(input: $input) {
        ${STEP_RESULT_FIELDS} ... on MutationStartWorkflowSuccess { data { runCount } } } }`,
      { input: { workflowId: workflow.id, contactIds: [contact.id] } },
    );
    console.log('Started the workflow for Ada; waiting for the messages…');

    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    let status = 'ACTIVE';
    while (Date.now() < deadline) {
      const runs = await run(
        key,
        `query Runs($id: ID!) { runs(first: 1, filter: { workflowId: $id }) { nodes { status exitReason } } }`,
        { id: workflow.id },
      );
      status = runs.nodes[0]?.status ?? 'ACTIVE';
      if (status !== 'ACTIVE') break;
      await new Promise((done) => setTimeout(done, 1_000));
    }
    const emails = received.filter((message) => message.kind === 'email');
    const hooks = received.filter((message) => message.kind === 'webhook');
    const threaded =
      emails.length === 2 && !!emails[0]?.messageId && emails[1]?.inReplyTo === emails[0].messageId;
    const signed = hooks.length === 1 && hooks[0]?.signature === 'valid';
    const ok = status === 'COMPLETED' && threaded && signed;
    console.log(
      ok
        ? 'Delivered: two emails in one thread and a signed webhook. The run is COMPLETED.'
        : `Not delivered: run ${status}, ${emails.length} email(s) (threaded: ${threaded}), ${hooks.length} webhook(s) (signed: ${signed}).`,
    );
    return ok;
  } finally {
    await inbox.close();
  }
}

main()
  .then((ok) => process.exit(ok ? 0 : 1))
  .catch((error: unknown) => {
    console.error('The example failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
