import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as workflow from './index';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('workflow public API', () => {
  it('exports the functions api/ and edge/ are built against', () => {
    const names = [
      'findVariables',
      'interpolate',
      'unknownVariables',
      'STANDARD_CONTACT_VARIABLES',
      'SYSTEM_VARIABLES',
      'formatSystemVariable',
      'isValidTimezone',
      'findSnippetNames',
      'expandSnippets',
      'textLength',
      'MAX_TEXT_LENGTH',
      'isE164',
      'isEmailAddress',
      'isCountryCode',
      'isLanguageTag',
      'isCustomFieldKey',
      'CHANNEL_CAPABILITIES',
      'canSend',
      'validateSendMessageConfig',
      'validateWaitConfig',
      'validateFailureBranch',
      'validateGraph',
      'buildPublishReport',
      'resolveChannel',
      'resolveContent',
      'checkMessagingWindow',
      'routeAfter',
      'findStep',
      'richTextToPlainText',
      'richTextTexts',
      'textToRichText',
    ];
    expect(names.filter((name) => !(name in workflow))).toEqual([]);
  });

  it('imports nothing from outside workflow/ at run time', () => {
    const sources = readdirSync(here).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    const outside = sources.flatMap((file) => {
      const text = readFileSync(`${here}/${file}`, 'utf8');
      return [...text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)]
        .map((match) => match[1]!)
        .filter((specifier) => !specifier.startsWith('./'))
        .map((specifier) => `${file}: ${specifier}`);
    });
    expect(outside).toEqual([]);
  });
});
