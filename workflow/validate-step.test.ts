import { describe, expect, it } from 'vitest';
import type { SendMessageConfig } from './types';
import {
  type StepLookups,
  validateFailureBranch,
  validateSendMessageConfig,
  validateWaitConfig,
} from './validate-step';

const lookups: StepLookups = {
  channels: new Map([
    ['ch_email', { type: 'email', status: 'connected' }],
    ['ch_wa', { type: 'whatsapp', status: 'connected' }],
    ['ch_ms', { type: 'messenger', status: 'connected' }],
    ['ch_tg', { type: 'telegram', status: 'connected' }],
    ['ch_off', { type: 'sms', status: 'disconnected' }],
  ]),
  fileIds: new Set(['file_1']),
  snippets: new Map([
    ['greeting', 'Hello $contact.firstname'],
    ['long', 'x'.repeat(1500)],
    ['two_lines', 'first\nsecond'],
  ]),
};

function config(overrides: Partial<SendMessageConfig> = {}): SendMessageConfig {
  return {
    channel: { kind: 'last_interacted' },
    defaultMessage: { type: 'text', text: 'Hi $contact.firstname 👋' },
    channelResponses: [],
    failureBranchEnabled: false,
    ...overrides,
  };
}

function codes(cfg: SendMessageConfig) {
  return validateSendMessageConfig(cfg, lookups).map(({ code, path }) => ({ code, path }));
}

describe('validateSendMessageConfig', () => {
  it('accepts a valid text message on the last interacted channel', () => {
    expect(codes(config())).toEqual([]);
  });

  it('accepts a full config with channel responses and an e-mail body', () => {
    const cfg = config({
      channel: { kind: 'specific', channelId: 'ch_wa' },
      defaultMessage: { type: 'media', fileId: 'file_1', caption: '$snippet.greeting' },
      channelResponses: [
        {
          channelId: 'ch_wa',
          content: {
            type: 'whatsapp_template',
            templateName: 'order_update',
            languageCode: 'en_US',
            parameters: ['$contact.firstname', '$trigger.order_id'],
          },
        },
        {
          channelId: 'ch_ms',
          content: { type: 'messenger_tagged', tag: 'POST_PURCHASE_UPDATE', text: 'Shipped!' },
        },
      ],
      email: {
        subject: 'Your order, $contact.firstname',
        body: [
          { type: 'heading', level: 1, spans: [{ text: 'Thanks' }] },
          {
            type: 'paragraph',
            spans: [{ text: 'Track it ' }, { text: 'here', link: 'https://x.io/t' }],
          },
          { type: 'list', ordered: false, items: [[{ text: 'mail us', link: 'mailto:a@b.io' }]] },
        ],
      },
      failureBranchEnabled: true,
    });
    expect(codes(cfg)).toEqual([]);
  });

  it('rejects an empty or blank text', () => {
    expect(codes(config({ defaultMessage: { type: 'text', text: '   ' } }))).toEqual([
      { code: 'TEXT_EMPTY', path: 'defaultMessage.text' },
    ]);
  });

  it('rejects a text over 2000 characters', () => {
    expect(codes(config({ defaultMessage: { type: 'text', text: 'a'.repeat(2001) } }))).toEqual([
      { code: 'TEXT_TOO_LONG', path: 'defaultMessage.text' },
    ]);
  });

  it('accepts exactly 2000 characters, counting each emoji as one', () => {
    expect(codes(config({ defaultMessage: { type: 'text', text: '👍🏽'.repeat(2000) } }))).toEqual(
      [],
    );
  });

  it('counts text length with snippets expanded', () => {
    const text = `$snippet.long ${'b'.repeat(600)}`;
    expect(text.length).toBeLessThan(2000);
    expect(codes(config({ defaultMessage: { type: 'text', text } }))).toEqual([
      { code: 'TEXT_TOO_LONG', path: 'defaultMessage.text' },
    ]);
  });

  it('limits captions, tagged texts and template parameters too', () => {
    const long = 'c'.repeat(2001);
    const cfg = config({
      defaultMessage: { type: 'media', fileId: 'file_1', caption: long },
      channelResponses: [
        {
          channelId: 'ch_ms',
          content: { type: 'messenger_tagged', tag: 'HUMAN_AGENT', text: long },
        },
        {
          channelId: 'ch_wa',
          content: {
            type: 'whatsapp_template',
            templateName: 't',
            languageCode: 'en',
            parameters: ['ok', long],
          },
        },
      ],
    });
    expect(codes(cfg)).toEqual([
      { code: 'TEXT_TOO_LONG', path: 'defaultMessage.caption' },
      { code: 'TEXT_TOO_LONG', path: 'channelResponses[0].content.text' },
      { code: 'TEXT_TOO_LONG', path: 'channelResponses[1].content.parameters[1]' },
    ]);
  });

  it('rejects unknown snippets in every text, including the e-mail subject and body', () => {
    const cfg = config({
      defaultMessage: { type: 'text', text: '$snippet.nope' },
      email: {
        subject: '$snippet.subject_line',
        body: [
          { type: 'paragraph', spans: [{ text: 'a' }, { text: 'b' }, { text: '$snippet.footer' }] },
        ],
      },
    });
    expect(codes(cfg)).toEqual([
      { code: 'UNKNOWN_SNIPPET', path: 'defaultMessage.text' },
      { code: 'UNKNOWN_SNIPPET', path: 'email.subject' },
      { code: 'UNKNOWN_SNIPPET', path: 'email.body[0].spans[2].text' },
    ]);
  });

  it('rejects a media message whose file is not in the library', () => {
    expect(codes(config({ defaultMessage: { type: 'media', fileId: 'file_other' } }))).toEqual([
      { code: 'UNKNOWN_FILE', path: 'defaultMessage.fileId' },
    ]);
  });

  it('rejects a specific channel that does not exist in the workspace', () => {
    expect(codes(config({ channel: { kind: 'specific', channelId: 'ch_elsewhere' } }))).toEqual([
      { code: 'CHANNEL_NOT_FOUND', path: 'channel.channelId' },
    ]);
  });

  it('rejects a specific channel that is not connected', () => {
    expect(codes(config({ channel: { kind: 'specific', channelId: 'ch_off' } }))).toEqual([
      { code: 'CHANNEL_NOT_CONNECTED', path: 'channel.channelId' },
    ]);
  });

  it('rejects a channel response for a missing or disconnected channel', () => {
    const text = { type: 'text', text: 'x' } as const;
    const cfg = config({
      channelResponses: [
        { channelId: 'ch_gone', content: text },
        { channelId: 'ch_off', content: text },
      ],
    });
    expect(codes(cfg)).toEqual([
      { code: 'CHANNEL_NOT_FOUND', path: 'channelResponses[0].channelId' },
      { code: 'CHANNEL_NOT_CONNECTED', path: 'channelResponses[1].channelId' },
    ]);
  });

  it('rejects message types the channel cannot send', () => {
    const cfg = config({
      channelResponses: [
        {
          channelId: 'ch_tg',
          content: {
            type: 'whatsapp_template',
            templateName: 't',
            languageCode: 'en',
            parameters: [],
          },
        },
        {
          channelId: 'ch_wa',
          content: { type: 'messenger_tagged', tag: 'HUMAN_AGENT', text: 'x' },
        },
      ],
    });
    const issues = validateSendMessageConfig(cfg, lookups);
    expect(issues.map(({ code, path }) => ({ code, path }))).toEqual([
      { code: 'UNSUPPORTED_MESSAGE_TYPE', path: 'channelResponses[0].content.type' },
      { code: 'UNSUPPORTED_MESSAGE_TYPE', path: 'channelResponses[1].content.type' },
    ]);
    expect(issues[0]?.message).toBe('Telegram cannot send a WhatsApp template');
  });

  it('rejects a default message that is not text or media', () => {
    const cfg = config({
      channel: { kind: 'specific', channelId: 'ch_wa' },
      defaultMessage: {
        type: 'whatsapp_template',
        templateName: 't',
        languageCode: 'en',
        parameters: [],
      } as never,
    });
    expect(codes(cfg)).toEqual([{ code: 'UNSUPPORTED_MESSAGE_TYPE', path: 'defaultMessage.type' }]);
  });

  it('refuses a template on a channel whose provider sends templates but cannot list them', () => {
    const vonage: StepLookups = {
      ...lookups,
      channels: new Map([
        [
          'ch_vonage',
          {
            type: 'whatsapp',
            status: 'connected',
            templates: null,
            templatesUnlisted: true,
            label: 'WhatsApp (Vonage)',
          },
        ],
      ]),
    };
    const template = {
      type: 'whatsapp_template' as const,
      templateName: 'order_update',
      languageCode: 'en',
      parameters: ['x'],
    };
    const issues = validateSendMessageConfig(
      config({ channelResponses: [{ channelId: 'ch_vonage', content: template }] }),
      vonage,
    );
    expect(issues.map(({ code, path }) => ({ code, path }))).toEqual([
      { code: 'TEMPLATES_UNAVAILABLE', path: 'channelResponses[0].content.templateName' },
    ]);
    expect(issues[0]?.message).toBe(
      'WhatsApp (Vonage) templates cannot be listed yet, so a template step cannot be checked',
    );
  });

  it('rejects two responses for one channel', () => {
    const text = { type: 'text', text: 'x' } as const;
    const cfg = config({
      channelResponses: [
        { channelId: 'ch_tg', content: text },
        { channelId: 'ch_tg', content: text },
      ],
    });
    expect(codes(cfg)).toEqual([
      { code: 'DUPLICATE_CHANNEL_RESPONSE', path: 'channelResponses[1].channelId' },
    ]);
  });

  it('rejects malformed WhatsApp template names, languages and empty parameters', () => {
    const cfg = config({
      channelResponses: [
        {
          channelId: 'ch_wa',
          content: {
            type: 'whatsapp_template',
            templateName: 'Order Update',
            languageCode: 'english',
            parameters: [''],
          },
        },
      ],
    });
    expect(codes(cfg)).toEqual([
      { code: 'INVALID_VALUE', path: 'channelResponses[0].content.templateName' },
      { code: 'INVALID_VALUE', path: 'channelResponses[0].content.languageCode' },
      { code: 'TEXT_EMPTY', path: 'channelResponses[0].content.parameters[0]' },
    ]);
  });

  it('rejects an unknown Messenger tag', () => {
    const cfg = config({
      channelResponses: [
        {
          channelId: 'ch_ms',
          content: { type: 'messenger_tagged', tag: 'PROMO' as never, text: 'x' },
        },
      ],
    });
    expect(codes(cfg)).toEqual([
      { code: 'INVALID_VALUE', path: 'channelResponses[0].content.tag' },
    ]);
  });

  it('rejects rich-text links that are not http(s) or mailto', () => {
    const cfg = config({
      email: {
        body: [
          {
            type: 'paragraph',
            spans: [
              { text: 'ok', link: 'https://example.com/?u=$contact.email' },
              { text: 'x', link: 'javascript:alert(1)' },
              { text: 'y', link: 'example.com' },
            ],
          },
        ],
      },
    });
    expect(codes(cfg)).toEqual([
      { code: 'INVALID_URL', path: 'email.body[0].spans[1].link' },
      { code: 'INVALID_URL', path: 'email.body[0].spans[2].link' },
    ]);
  });

  it('rejects an e-mail subject with a line break, even one coming from a snippet', () => {
    expect(codes(config({ email: { subject: 'Hi\r\nBcc: x@evil.test' } }))).toEqual([
      { code: 'INVALID_VALUE', path: 'email.subject' },
    ]);
    expect(codes(config({ email: { subject: '$snippet.two_lines' } }))).toEqual([
      { code: 'INVALID_VALUE', path: 'email.subject' },
    ]);
  });

  it('rejects an e-mail subject longer than 998 characters', () => {
    expect(codes(config({ email: { subject: 's'.repeat(999) } }))).toEqual([
      { code: 'INVALID_VALUE', path: 'email.subject' },
    ]);
    expect(codes(config({ email: { subject: 's'.repeat(998) } }))).toEqual([]);
  });

  it('accepts a blank or missing e-mail subject', () => {
    expect(codes(config({ email: { subject: null, body: null } }))).toEqual([]);
  });
});

describe('validateWaitConfig', () => {
  it('accepts whole seconds from one second to a year', () => {
    expect(validateWaitConfig({ seconds: 1 })).toEqual([]);
    expect(validateWaitConfig({ seconds: 365 * 86_400 })).toEqual([]);
  });

  it('rejects zero, negative, fractional and over-a-year waits', () => {
    for (const seconds of [0, -5, 1.5, 365 * 86_400 + 1, Number.NaN]) {
      expect(validateWaitConfig({ seconds })).toMatchObject([
        { code: 'INVALID_VALUE', path: 'seconds' },
      ]);
    }
  });
});

describe('validateFailureBranch', () => {
  const workflowStepIds = new Set(['s1', 's2', 's3']);

  it('requires a target when the toggle is on', () => {
    expect(
      validateFailureBranch({
        failureBranchEnabled: true,
        failureStepId: null,
        stepId: 's1',
        workflowStepIds,
      }),
    ).toMatchObject([{ code: 'FAILURE_TARGET_REQUIRED', path: 'failureStepId' }]);
  });

  it('accepts another step of the same workflow', () => {
    expect(
      validateFailureBranch({
        failureBranchEnabled: true,
        failureStepId: 's3',
        stepId: 's1',
        workflowStepIds,
      }),
    ).toEqual([]);
  });

  it('rejects a target in another workflow', () => {
    expect(
      validateFailureBranch({
        failureBranchEnabled: true,
        failureStepId: 'other_wf_step',
        stepId: 's1',
        workflowStepIds,
      }),
    ).toMatchObject([{ code: 'FAILURE_TARGET_INVALID' }]);
  });

  it('rejects the step itself as its failure target', () => {
    expect(
      validateFailureBranch({
        failureBranchEnabled: true,
        failureStepId: 's1',
        stepId: 's1',
        workflowStepIds,
      }),
    ).toMatchObject([{ code: 'FAILURE_TARGET_INVALID' }]);
  });

  it('rejects an empty target id, toggle on or off: it names no step', () => {
    for (const failureBranchEnabled of [true, false]) {
      expect(
        validateFailureBranch({
          failureBranchEnabled,
          failureStepId: '',
          stepId: 's1',
          workflowStepIds,
        }),
      ).toMatchObject([{ code: 'FAILURE_TARGET_INVALID', path: 'failureStepId' }]);
    }
  });

  it('accepts the toggle off with no target', () => {
    expect(
      validateFailureBranch({
        failureBranchEnabled: false,
        failureStepId: null,
        stepId: 's1',
        workflowStepIds,
      }),
    ).toEqual([]);
  });
});
