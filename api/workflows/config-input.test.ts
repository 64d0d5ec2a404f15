import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors';
import { type SendMessageConfigInput, toSendMessageConfig } from './config-input';

function issuesOf(input: SendMessageConfigInput, prefix?: string) {
  try {
    toSendMessageConfig(input, prefix);
  } catch (error) {
    if (error instanceof ValidationError)
      return error.issues.map(({ code, path }) => ({ code, path }));
    throw error;
  }
  return [];
}

describe('toSendMessageConfig', () => {
  it('turns each "exactly one of" input into its tagged content', () => {
    const config = toSendMessageConfig({
      channel: { kind: 'specific', channelId: 'c1' },
      defaultMessage: { media: { fileId: 'f1', caption: '' } },
      channelResponses: [
        { channelId: 'c2', text: 'Hi' },
        { channelId: 'c3', whatsappTemplate: { templateName: 't', languageCode: 'en' } },
        { channelId: 'c4', messengerTagged: { tag: 'HUMAN_AGENT', text: 'Hello' } },
      ],
    });
    expect(config).toEqual({
      channel: { kind: 'specific', channelId: 'c1' },
      defaultMessage: { type: 'media', fileId: 'f1', caption: null },
      channelResponses: [
        { channelId: 'c2', content: { type: 'text', text: 'Hi' } },
        {
          channelId: 'c3',
          content: {
            type: 'whatsapp_template',
            templateName: 't',
            languageCode: 'en',
            parameters: [],
          },
        },
        {
          channelId: 'c4',
          content: { type: 'messenger_tagged', tag: 'HUMAN_AGENT', text: 'Hello' },
        },
      ],
      email: null,
      failureBranchEnabled: false,
    });
  });

  it('drops the channel id of a last-interacted selection', () => {
    const config = toSendMessageConfig({
      channel: { kind: 'last_interacted', channelId: 'ignored' },
      defaultMessage: { text: 'Hi' },
    });
    expect(config.channel).toEqual({ kind: 'last_interacted' });
  });

  it('keeps only the marks that are set on rich-text spans', () => {
    const config = toSendMessageConfig({
      channel: { kind: 'last_interacted' },
      defaultMessage: { text: 'Hi' },
      email: {
        subject: 'Hello',
        body: [
          { type: 'paragraph', spans: [{ text: 'a', bold: true, italic: false, link: null }] },
          { type: 'list', items: [[{ text: 'b', underline: true }]] },
        ],
      },
    });
    expect(config.email).toEqual({
      subject: 'Hello',
      body: [
        { type: 'paragraph', spans: [{ text: 'a', bold: true }] },
        { type: 'list', ordered: false, items: [[{ text: 'b', underline: true }]] },
      ],
    });
  });

  it('reports every shape problem at once, under the given path prefix', () => {
    expect(
      issuesOf(
        {
          channel: { kind: 'specific' },
          defaultMessage: {},
          channelResponses: [{ channelId: 'c1', text: 'a', media: { fileId: 'f' } }],
          email: {
            body: [
              { type: 'heading', spans: [{ text: 'x' }] },
              { type: 'list', spans: [{ text: 'y' }] },
              { type: 'paragraph', items: [] },
            ],
          },
        },
        'config.',
      ),
    ).toEqual([
      { code: 'INVALID_VALUE', path: 'config.channel.channelId' },
      { code: 'INVALID_VALUE', path: 'config.defaultMessage' },
      { code: 'INVALID_VALUE', path: 'config.channelResponses[0]' },
      { code: 'INVALID_VALUE', path: 'config.email.body[0].level' },
      { code: 'INVALID_VALUE', path: 'config.email.body[1]' },
      { code: 'INVALID_VALUE', path: 'config.email.body[2]' },
    ]);
  });

  it('refuses more than 10 attachments as one issue, without checking each', () => {
    const input = (attachments: string[]): SendMessageConfigInput => ({
      channel: { kind: 'specific', channelId: 'c1' },
      defaultMessage: { text: 'Hi' },
      email: { attachments },
    });
    const many = Array.from({ length: 20_000 }, (_, n) => `f${n}`);
    expect(issuesOf(input(many))).toEqual([{ code: 'INVALID_VALUE', path: 'email.attachments' }]);
    expect(issuesOf(input(Array(11).fill('f1')))).toEqual([
      { code: 'INVALID_VALUE', path: 'email.attachments' },
    ]);
    expect(issuesOf(input(['f1', 'f2', 'f1']))).toEqual([
      { code: 'INVALID_VALUE', path: 'email.attachments[2]' },
    ]);
  });

  it('refuses more than 200 body blocks as one issue, without reporting each block', () => {
    const blocks = Array.from({ length: 10_000 }, () => ({ type: 'paragraph' as const }));
    expect(
      issuesOf({
        channel: { kind: 'specific', channelId: 'c1' },
        defaultMessage: { text: 'Hi' },
        email: { body: blocks },
      }),
    ).toEqual([{ code: 'INVALID_VALUE', path: 'email.body' }]);
  });
});
