import { describe, expect, it } from 'vitest';
import type { MediaLimits } from './media-limits';
import type { SendMessageConfig } from './types';
import { shortestFilledLength } from './validate-captions';
import { type StepLookups, validateSendMessageConfig } from './validate-step';

// As WhatsApp declares them (edge/channels/whatsapp-meta/definition.ts).
const WHATSAPP_MEDIA: MediaLimits = {
  image: { contentTypes: ['image/jpeg', 'image/png'], maxBytes: 5_000_000 },
  audio: { contentTypes: ['audio/mpeg'], maxBytes: 16_000_000 },
  document: { contentTypes: ['application/pdf'], maxBytes: 100_000_000 },
};
const whatsapp = {
  type: 'whatsapp',
  status: 'connected',
  label: 'WhatsApp (Meta Cloud API)',
  mediaLimits: WHATSAPP_MEDIA,
  captionLimit: { maxLength: 1024, kinds: ['image', 'video', 'document'] },
} as const;

const lookups: StepLookups = {
  channels: new Map([
    ['ch_wa', whatsapp],
    ['ch_360', { ...whatsapp, label: 'WhatsApp (360dialog)' }],
    // Email declares no caption limit: the 2,000-character text limit is all it has.
    ['ch_email', { type: 'email', status: 'connected', mediaLimits: null }],
  ]),
  fileIds: new Set(['photo', 'song']),
  files: new Map([
    ['photo', { name: 'photo.png', contentType: 'image/png', sizeBytes: 1000 }],
    ['song', { name: 'song.mp3', contentType: 'audio/mpeg', sizeBytes: 1000 }],
  ]),
  snippets: new Map([['blurb', 'b'.repeat(1000)]]),
};

const LONG = 'x'.repeat(1025);

function issues(overrides: Partial<SendMessageConfig>) {
  const config: SendMessageConfig = {
    channel: { kind: 'last_interacted' },
    defaultMessage: { type: 'text', text: 'Hi' },
    channelResponses: [],
    failureBranchEnabled: false,
    ...overrides,
  };
  return validateSendMessageConfig(config, lookups).map(({ code, path, message }) => ({
    code,
    path,
    message,
  }));
}

describe('media captions over the channel caption limit', () => {
  it('are refused against a specific WhatsApp channel (Meta and 360dialog)', () => {
    expect(
      issues({
        channel: { kind: 'specific', channelId: 'ch_wa' },
        defaultMessage: { type: 'media', fileId: 'photo', caption: LONG },
      }),
    ).toEqual([
      {
        code: 'TEXT_TOO_LONG',
        path: 'defaultMessage.caption',
        message:
          'Caption is 1025 characters with snippets expanded (variables counted as one); WhatsApp (Meta Cloud API) takes captions of at most 1024',
      },
    ]);
    expect(
      issues({
        channelResponses: [
          { channelId: 'ch_360', content: { type: 'media', fileId: 'photo', caption: LONG } },
        ],
      }).map((issue) => [issue.code, issue.path]),
    ).toEqual([['TEXT_TOO_LONG', 'channelResponses[0].content.caption']]);
  });

  it('count snippets expanded and code points, not UTF-16 units', () => {
    const withSnippet = `$snippet.blurb ${'y'.repeat(24)}`; // 1000 + 1 + 24 = 1025
    expect(
      issues({
        channel: { kind: 'specific', channelId: 'ch_wa' },
        defaultMessage: { type: 'media', fileId: 'photo', caption: withSnippet },
      }).map((issue) => issue.code),
    ).toEqual(['TEXT_TOO_LONG']);
    // 1,024 emoji are 2,048 UTF-16 units but 1,024 characters: accepted.
    expect(
      issues({
        channel: { kind: 'specific', channelId: 'ch_wa' },
        defaultMessage: { type: 'media', fileId: 'photo', caption: '😀'.repeat(1024) },
      }),
    ).toEqual([]);
  });

  it('accept a caption of exactly 1,024 characters, and variables as one character each', () => {
    const specific = { kind: 'specific', channelId: 'ch_wa' } as const;
    expect(
      issues({
        channel: specific,
        defaultMessage: { type: 'media', fileId: 'photo', caption: 'x'.repeat(1024) },
      }),
    ).toEqual([]);
    // 1,020 characters and a 19-character variable: at least 1,021 once filled in.
    const caption = `${'x'.repeat(1020)}$contact.firstname`;
    expect(shortestFilledLength(caption)).toBe(1021);
    expect(
      issues({ channel: specific, defaultMessage: { type: 'media', fileId: 'photo', caption } }),
    ).toEqual([]);
  });

  it('are left to send time for Last Interacted (another channel may take them)', () => {
    expect(issues({ defaultMessage: { type: 'media', fileId: 'photo', caption: LONG } })).toEqual(
      [],
    );
  });

  it('are not checked where no caption limit is declared, nor on WhatsApp audio (sent without it)', () => {
    expect(
      issues({
        channel: { kind: 'specific', channelId: 'ch_email' },
        defaultMessage: { type: 'media', fileId: 'photo', caption: LONG },
      }),
    ).toEqual([]);
    expect(
      issues({
        channel: { kind: 'specific', channelId: 'ch_wa' },
        defaultMessage: { type: 'media', fileId: 'song', caption: LONG },
      }),
    ).toEqual([]);
  });
});
