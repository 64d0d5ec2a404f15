import { describe, expect, it } from 'vitest';
import { sendStep, waitStep } from './graph-fixtures';
import { buildPublishReport } from './publish';
import type { StepLookups } from './validate-step';

const lookups: StepLookups = {
  channels: new Map([['ch_tg', { type: 'telegram', status: 'connected' }]]),
  fileIds: new Set(),
  snippets: new Map([['promo', 'Use code $trigger.code, $contact.loyalty_tier member']]),
};
const customFields = new Set(['favorite_color']);

describe('buildPublishReport', () => {
  it('reports nothing for a valid workflow', () => {
    const report = buildPublishReport(
      { entryStepId: 'a', steps: [sendStep('a', 'b'), waitStep('b', null)] },
      lookups,
      customFields,
    );
    expect(report).toEqual({ errors: [], warnings: [] });
  });

  it('combines graph errors with step config errors, each naming its step and path', () => {
    const report = buildPublishReport(
      {
        entryStepId: 'a',
        steps: [
          sendStep('a', 'b', { config: { defaultMessage: { type: 'text', text: '' } } }),
          waitStep('b', null, 0),
          sendStep('orphan', null, {
            config: { channel: { kind: 'specific', channelId: 'nope' } },
          }),
        ],
      },
      lookups,
      customFields,
    );
    expect(report.errors.map(({ code, stepId, path }) => ({ code, stepId, path }))).toEqual([
      { code: 'GRAPH_UNREACHABLE_STEP', stepId: 'orphan', path: 'id' },
      { code: 'TEXT_EMPTY', stepId: 'a', path: 'defaultMessage.text' },
      { code: 'INVALID_VALUE', stepId: 'b', path: 'seconds' },
      { code: 'CHANNEL_NOT_FOUND', stepId: 'orphan', path: 'channel.channelId' },
    ]);
    expect(report.warnings).toEqual([]);
  });

  it('warns about unknown variables in every text, including inside snippets', () => {
    const report = buildPublishReport(
      {
        entryStepId: 'a',
        steps: [
          sendStep('a', null, {
            config: {
              defaultMessage: { type: 'text', text: '$contact.favorite_color $snippet.promo' },
              channelResponses: [
                { channelId: 'ch_tg', content: { type: 'text', text: '$system.weekday' } },
              ],
              email: {
                subject: 'Hi $contact.nickname and $contact.nickname',
                body: [
                  {
                    type: 'paragraph',
                    spans: [{ text: 'go', link: 'https://x.io/?r=$contact.referrer' }],
                  },
                ],
              },
            },
          }),
        ],
      },
      lookups,
      customFields,
    );
    expect(report.errors).toEqual([]);
    expect(
      report.warnings.map(({ code, stepId, path, message }) => ({ code, stepId, path, message })),
    ).toEqual([
      {
        code: 'UNKNOWN_VARIABLE',
        stepId: 'a',
        path: 'defaultMessage.text',
        message: '$contact.loyalty_tier is not a known variable; it will be sent as written',
      },
      {
        code: 'UNKNOWN_VARIABLE',
        stepId: 'a',
        path: 'channelResponses[0].content.text',
        message: '$system.weekday is not a known variable; it will be sent as written',
      },
      {
        code: 'UNKNOWN_VARIABLE',
        stepId: 'a',
        path: 'email.subject',
        message: '$contact.nickname is not a known variable; it will be sent as written',
      },
      {
        code: 'UNKNOWN_VARIABLE',
        stepId: 'a',
        path: 'email.body[0].spans[0].link',
        message: '$contact.referrer is not a known variable; it will be sent as written',
      },
    ]);
  });

  it('warns about a reference whose namespace is not lower case, once per text', () => {
    const report = buildPublishReport(
      {
        entryStepId: 'a',
        steps: [
          sendStep('a', null, {
            config: {
              defaultMessage: {
                type: 'text',
                text: 'Hi $Contact.FirstName and $Contact.FirstName, $contact.firstName',
              },
            },
          }),
        ],
      },
      lookups,
      customFields,
    );
    expect(report).toEqual({
      errors: [],
      warnings: [
        {
          code: 'UNKNOWN_VARIABLE',
          stepId: 'a',
          path: 'defaultMessage.text',
          message:
            '$Contact.FirstName is not a variable (namespaces are lower case: $contact.FirstName); it will be sent as written',
        },
      ],
    });
  });

  it('reports an empty workflow', () => {
    expect(buildPublishReport({ entryStepId: 'a', steps: [] }, lookups, customFields)).toEqual({
      errors: [
        { code: 'GRAPH_EMPTY', stepId: null, path: 'steps', message: 'The workflow has no steps' },
      ],
      warnings: [],
    });
  });
});
