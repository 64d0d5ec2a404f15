import { randomUUID } from 'node:crypto';
import { clearCompiledEmailCache } from '../../edge/render/email';
import { type RenderMessageInput, renderMessage } from '../../edge/render/message';
import type { EmailContent, RichTextBlock, RichTextSpan } from '../../workflow/types';
import type { RenderContext } from '../../workflow/variables';
import type { Suite, SuiteOutcome } from '../suite';
import { figure, formatTable, ratio } from '../support/table';

/**
 * Issue 3: per-message email rendering for a 5-step workflow when compiled MJML is reused
 * (edge/render's compiled-template cache) versus compiled for every send. Each message goes
 * through `renderMessage`, the function the dispatch consumer calls: snippets, variables, MJML
 * HTML, text part, subject and thread headers. Runs in this process; no I/O.
 */

const CONTACTS = 400;
const STEPS = 5;
/** Renders per mode before measuring (JIT warm-up); the cache is emptied afterwards. */
const WARMUP_MESSAGES = 100;
/** The target issue 3 sets for reuse over compile-per-send. */
const TARGET_RATIO = 10;

const snippets = new Map([
  ['signature', 'The $contact.plan team at Sendflow'],
  ['unsubscribe', 'Reply STOP to $contact.email to unsubscribe.'],
]);

const paragraph = (...spans: RichTextSpan[]): RichTextBlock => ({ type: 'paragraph', spans });

/** Five different rich-text emails, each with contact, custom-field, trigger and system variables. */
export const WORKFLOW_EMAILS: EmailContent[] = [
  {
    subject: 'Welcome aboard, $contact.firstname',
    body: [
      { type: 'heading', level: 1, spans: [{ text: 'Welcome, $contact.firstname!' }] },
      paragraph(
        { text: 'Thanks for joining on ' },
        { text: '$system.current_date', bold: true },
        { text: '. Your ' },
        { text: '$contact.plan', italic: true },
        { text: ' plan is ready.' },
      ),
      paragraph({ text: 'Start here', link: 'https://app.example.com/start?ref=$trigger.source' }),
      paragraph({ text: '$snippet.signature' }),
    ],
  },
  {
    subject: 'Three tips for $contact.company',
    body: [
      { type: 'heading', level: 2, spans: [{ text: 'Get more from Sendflow' }] },
      {
        type: 'list',
        ordered: true,
        items: [
          [{ text: 'Import your contacts, $contact.firstname' }],
          [{ text: 'Connect a channel', bold: true }, { text: ' in two minutes' }],
          [{ text: 'Publish a workflow', link: 'https://docs.example.com/publish' }],
        ],
      },
      paragraph({ text: '$snippet.signature' }),
    ],
  },
  {
    subject: 'Your first week: $trigger.orders orders',
    body: [
      paragraph({ text: 'Hi $contact.firstname $contact.lastname,' }),
      paragraph(
        { text: 'Since $trigger.signup_date you sent ' },
        { text: '$trigger.orders', bold: true },
        { text: ' orders from ' },
        { text: '$contact.country', underline: true },
        { text: '.' },
      ),
      {
        type: 'list',
        ordered: false,
        items: [[{ text: 'Open rate: $trigger.open_rate' }], [{ text: 'Clicks: $trigger.clicks' }]],
      },
      paragraph({
        text: 'See the report',
        link: 'https://app.example.com/reports/$trigger.report_id',
      }),
    ],
  },
  {
    subject: '$contact.firstname, a question from $contact.plan support',
    body: [
      { type: 'heading', level: 3, spans: [{ text: 'How are we doing?' }] },
      paragraph(
        { text: 'Reply to this email or write to ' },
        { text: 'support', link: 'mailto:support@example.com?subject=$contact.email' },
        { text: ' — we answer within a day (it is $system.current_time here).' },
      ),
      paragraph({ text: '$snippet.signature' }),
      paragraph({ text: '$snippet.unsubscribe', italic: true }),
    ],
  },
  {
    subject: 'Last call: your $contact.plan trial ends soon',
    body: [
      {
        type: 'heading',
        level: 1,
        spans: [{ text: '$contact.firstname, keep your workflows running' }],
      },
      paragraph(
        { text: 'Your trial ends on ' },
        { text: '$trigger.trial_end', bold: true },
        { text: '. Upgrade now and keep every workflow, channel and contact.' },
      ),
      paragraph({ text: 'Upgrade', link: 'https://app.example.com/billing?plan=$contact.plan' }),
      {
        type: 'list',
        ordered: false,
        items: [
          [{ text: 'Unlimited workflows' }],
          [{ text: 'Priority support' }],
          [{ text: 'SSO for $contact.company' }],
        ],
      },
      paragraph({ text: '$snippet.unsubscribe', italic: true }),
    ],
  },
];

function contactContext(index: number): RenderContext {
  return {
    contact: {
      firstName: `Ada${index}`,
      lastName: index % 3 === 0 ? "O'Brien & Sons" : `Lovelace${index}`,
      email: `ada${index}@example.com`,
      country: index % 2 === 0 ? 'GB' : null,
      customFields: { plan: index % 2 ? 'Pro' : 'Team', company: `Analytical Engines ${index}` },
    },
    trigger: {
      source: 'bench',
      orders: String(index),
      signup_date: '2030-01-01',
      open_rate: '42%',
      clicks: String(index * 3),
      report_id: `r-${index}`,
      trial_end: '2030-02-01',
    },
    now: new Date('2030-01-15T09:30:00Z'),
    timezone: 'Europe/Paris',
  };
}

/** The messages of one contact's run: five emails, each threaded onto the ones before. */
function* messages(count: number): Generator<RenderMessageInput> {
  for (let i = 0; i < count; i++) {
    const contact = Math.floor(i / STEPS);
    const step = i % STEPS;
    yield {
      content: { type: 'text', text: 'Hello $contact.firstname' },
      email: WORKFLOW_EMAILS[step],
      channelType: 'email',
      ctx: contactContext(contact),
      snippets,
      files: new Map(),
      thread: {
        messageIds: Array.from({ length: step }, (_, n) => `<prior-${contact}-${n}@example.com>`),
      },
      deliveryId: randomUUID(),
      domain: 'example.com',
      templateKey: `bench-version:step-${step}`,
    };
  }
}

interface ModeResult {
  label: string;
  messages: number;
  totalMs: number;
  perMessageUs: number[];
}

async function renderAll(label: string, count: number, cache: boolean): Promise<ModeResult> {
  const perMessageUs: number[] = [];
  const started = performance.now();
  for (const input of messages(count)) {
    const before = performance.now();
    await renderMessage(input, { cache });
    perMessageUs.push((performance.now() - before) * 1000);
  }
  return { label, messages: count, totalMs: performance.now() - started, perMessageUs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Cached and uncached renders must give the same email, or the comparison means nothing. */
async function checkSameOutput(): Promise<void> {
  clearCompiledEmailCache();
  for (const input of messages(STEPS * 2)) {
    const cached = await renderMessage(input, { cache: true });
    const compiled = await renderMessage(input, { cache: false });
    if (JSON.stringify(cached) !== JSON.stringify(compiled)) {
      throw new Error(`cached and per-send renders differ for ${input.templateKey}`);
    }
    if (cached.kind !== 'email' || !cached.html.includes(input.ctx.contact.firstName ?? '')) {
      throw new Error('the rendered email does not hold the contact’s first name');
    }
  }
}

export const emailRenderSuite: Suite = {
  name: 'email-render',
  title: `Email rendering, ${STEPS}-step workflow × ${CONTACTS} contacts: compiled MJML reused vs compiled per send (issue 3)`,
  async run(): Promise<SuiteOutcome> {
    await checkSameOutput();
    await renderAll('warm-up', WARMUP_MESSAGES, false);
    await renderAll('warm-up', WARMUP_MESSAGES, true);

    const count = CONTACTS * STEPS;
    // Reuse starts cold: the five compiles of the first contact are part of its figure.
    clearCompiledEmailCache();
    const reused = await renderAll('compiled MJML reused (cache)', count, true);
    const perSend = await renderAll('MJML compiled per send', count, false);

    const rows = [reused, perSend].map((mode) => {
      const sorted = [...mode.perMessageUs].sort((a, b) => a - b);
      return [
        mode.label,
        figure(mode.messages),
        figure(mode.totalMs, 1),
        figure((mode.totalMs * 1000) / mode.messages, 1),
        figure(percentile(sorted, 50), 1),
        figure(percentile(sorted, 99), 1),
        figure((mode.messages / mode.totalMs) * 1000),
      ];
    });
    console.log('');
    console.log(
      formatTable(
        ['mode', 'messages', 'total ms', 'µs/message', 'p50 µs', 'p99 µs', 'messages/s'],
        rows,
      ),
    );
    const speedup = perSend.totalMs / reused.totalMs;
    console.log(
      `\n  reuse speed-up: ${ratio(perSend.totalMs, reused.totalMs)} (target ≥ ${TARGET_RATIO}x); output identical in both modes`,
    );
    const usPerMessage = (mode: ModeResult) => figure((mode.totalMs * 1000) / mode.messages, 1);
    return {
      ok: speedup >= TARGET_RATIO,
      headlines: [
        `reused: ${usPerMessage(reused)} µs/message; per send: ${usPerMessage(perSend)} µs/message; ratio ${ratio(perSend.totalMs, reused.totalMs)} (target ≥ ${TARGET_RATIO}x)`,
      ],
    };
  },
};
