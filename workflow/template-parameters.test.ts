import { describe, expect, it } from 'vitest';
import { templateParameterProblem } from './template-parameters';
import type { SendMessageConfig, WhatsAppTemplateContent } from './types';
import { validateSendMessageConfig } from './validate-step';

describe('templateParameterProblem', () => {
  it('refuses new-lines, tabs and more than 4 spaces in a row (WhatsApp 132018)', () => {
    expect(templateParameterProblem('line one\nline two')).toBe(
      'cannot hold a line break or a tab',
    );
    expect(templateParameterProblem('a\r\nb')).toBe('cannot hold a line break or a tab');
    expect(templateParameterProblem('a\tb')).toBe('cannot hold a line break or a tab');
    expect(templateParameterProblem('a     b')).toBe('cannot hold more than 4 spaces in a row');
  });

  it('accepts up to 4 spaces in a row and ordinary text', () => {
    expect(templateParameterProblem('a    b')).toBeNull();
    expect(templateParameterProblem('Order #1042, 2 items')).toBeNull();
    expect(templateParameterProblem('')).toBeNull();
  });
});

describe('WhatsApp template parameters when a step is saved', () => {
  const lookups = {
    channels: new Map([['ch_wa', { type: 'whatsapp', status: 'connected' } as const]]),
    fileIds: new Set<string>(),
    snippets: new Map([
      ['address', '1 Main St\nSpringfield'],
      ['name', '$contact.firstname'],
    ]),
  };

  function issues(template: Partial<WhatsAppTemplateContent>) {
    const config: SendMessageConfig = {
      channel: { kind: 'specific', channelId: 'ch_wa' },
      defaultMessage: { type: 'text', text: 'Hi' },
      channelResponses: [
        {
          channelId: 'ch_wa',
          content: {
            type: 'whatsapp_template',
            templateName: 'order_update',
            languageCode: 'en_US',
            parameters: [],
            ...template,
          },
        },
      ],
      failureBranchEnabled: false,
    };
    return validateSendMessageConfig(config, lookups).map(({ code, path, message }) => ({
      code,
      path,
      message,
    }));
  }

  it('refuses a literal value with a line break, a tab or a run of spaces, at its path', () => {
    expect(
      issues({
        parameters: ['fine', 'two\nlines', '$snippet.address'],
        headerParameters: ['a\tb'],
        buttonParameters: [{ index: 0, text: 'ord      1042' }],
      }),
    ).toEqual([
      {
        code: 'INVALID_VALUE',
        path: 'channelResponses[0].content.parameters[1]',
        message: 'A WhatsApp template parameter cannot hold a line break or a tab',
      },
      {
        code: 'INVALID_VALUE',
        path: 'channelResponses[0].content.parameters[2]',
        message: 'A WhatsApp template parameter cannot hold a line break or a tab',
      },
      {
        code: 'INVALID_VALUE',
        path: 'channelResponses[0].content.headerParameters[0]',
        message: 'A WhatsApp template parameter cannot hold a line break or a tab',
      },
      {
        code: 'INVALID_VALUE',
        path: 'channelResponses[0].content.buttonParameters[0].text',
        message: 'A WhatsApp template parameter cannot hold more than 4 spaces in a row',
      },
    ]);
  });

  it('accepts variables, whose values are checked when the message is sent', () => {
    expect(
      issues({ parameters: ['$contact.firstname', '$snippet.name', 'a    $trigger.code'] }),
    ).toEqual([]);
  });
});
