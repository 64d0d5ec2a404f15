import { expect, test } from 'vitest';
import { stepReferences } from './step-references';
import type { SendMessageConfig } from './types';

const channel = '11111111-1111-4111-8111-111111111111';
const other = '22222222-2222-4222-8222-222222222222';
const file = '33333333-3333-4333-8333-333333333333';

test('collects the specific channel, the response channels, files and snippets once each', () => {
  const config: SendMessageConfig = {
    channel: { kind: 'specific', channelId: channel },
    defaultMessage: { type: 'media', fileId: file, caption: '$snippet.sig' },
    channelResponses: [
      { channelId: other, content: { type: 'media', fileId: file } },
      { channelId: other, content: { type: 'text', text: '$snippet.sig and $snippet.promo' } },
    ],
    failureBranchEnabled: false,
  };
  expect(stepReferences(config)).toEqual({
    specificChannelId: channel,
    responseChannelIds: [other],
    fileIds: [file],
    snippetNames: ['sig', 'promo'],
  });
});

test('leaves out ids that cannot name a row, and has no specific channel for Last Interacted', () => {
  const config: SendMessageConfig = {
    channel: { kind: 'last_interacted' },
    defaultMessage: { type: 'media', fileId: 'not-a-uuid' },
    channelResponses: [{ channelId: 'ch_1', content: { type: 'text', text: 'Hi' } }],
    failureBranchEnabled: false,
  };
  expect(stepReferences(config)).toEqual({
    specificChannelId: null,
    responseChannelIds: [],
    fileIds: [],
    snippetNames: [],
  });
});
