import { describe, expect, it } from 'vitest';
import type { TemplateHeaderMedia } from './types';
import { validateContentFields, validateMessageType } from './validate-content';

const files = new Set(['file_1']);

describe('validateMessageType', () => {
  it('accepts a type the channel can send', () => {
    expect(validateMessageType('whatsapp_template', 'whatsapp', 'p')).toEqual([]);
  });

  it('accepts any known type when the channel is not known', () => {
    expect(validateMessageType('messenger_tagged', undefined, 'p')).toEqual([]);
  });

  it('names the channel and the type it cannot send', () => {
    expect(validateMessageType('messenger_tagged', 'whatsapp', 'p')).toEqual([
      {
        code: 'UNSUPPORTED_MESSAGE_TYPE',
        path: 'p',
        message: 'WhatsApp cannot send a Messenger tagged message',
      },
    ]);
  });

  it('rejects a type that does not exist', () => {
    expect(validateMessageType('carousel', 'whatsapp', 'p')).toMatchObject([
      { code: 'UNSUPPORTED_MESSAGE_TYPE' },
    ]);
  });
});

describe('validateContentFields', () => {
  it('accepts a media file from the library', () => {
    expect(validateContentFields({ type: 'media', fileId: 'file_1' }, 'c', files)).toEqual([]);
  });

  it('rejects a media file that is not in the library', () => {
    expect(validateContentFields({ type: 'media', fileId: 'file_9' }, 'c', files)).toMatchObject([
      { code: 'UNKNOWN_FILE', path: 'c.fileId' },
    ]);
  });

  it('accepts WhatsApp language codes with underscores or dashes', () => {
    for (const languageCode of ['en', 'en_US', 'pt_BR', 'zh-Hant']) {
      expect(
        validateContentFields(
          { type: 'whatsapp_template', templateName: 'order_1', languageCode, parameters: [] },
          'c',
          files,
        ),
      ).toEqual([]);
    }
  });

  it('accepts a Twilio Content SID as a template name, and nothing else in capitals', () => {
    const template = (templateName: string) =>
      validateContentFields(
        { type: 'whatsapp_template', templateName, languageCode: 'en', parameters: [] },
        'c',
        files,
      );
    expect(template('HX0123456789abcdef0123456789ABCDEF')).toEqual([]);
    for (const name of ['HX0123', 'Order_1', 'HX0123456789abcdef0123456789abcdeg']) {
      expect(template(name), name).toMatchObject([
        { code: 'INVALID_VALUE', path: 'c.templateName' },
      ]);
    }
  });

  it('accepts every Messenger tag', () => {
    for (const tag of [
      'CONFIRMED_EVENT_UPDATE',
      'POST_PURCHASE_UPDATE',
      'ACCOUNT_UPDATE',
      'HUMAN_AGENT',
    ] as const) {
      expect(
        validateContentFields({ type: 'messenger_tagged', tag, text: 'x' }, 'c', files),
      ).toEqual([]);
    }
  });

  it('has nothing to check on a text', () => {
    expect(validateContentFields({ type: 'text', text: '' }, 'c', files)).toEqual([]);
  });
});

describe("a template header's linked document", () => {
  const template = (headerMedia: TemplateHeaderMedia) =>
    ({
      type: 'whatsapp_template',
      templateName: 'invoice',
      languageCode: 'en',
      parameters: [],
      headerMedia,
    }) as Parameters<typeof validateContentFields>[0];
  const link = 'https://cdn.example.com/invoice.pdf';

  it('takes a one-line file name of up to 255 characters', () => {
    for (const fileName of ['Invoice 1042.pdf', 'x'.repeat(255)]) {
      expect(
        validateContentFields(template({ format: 'DOCUMENT', link, fileName }), 'c', files),
      ).toEqual([]);
    }
  });

  it('refuses a file name with a line break or a bidirectional override, blank, or too long', () => {
    for (const fileName of ['Invoice\n1042.pdf', 'fdp.\u202Eexe', '  ', 'x'.repeat(256)]) {
      expect(
        validateContentFields(template({ format: 'DOCUMENT', link, fileName }), 'c', files),
      ).toMatchObject([{ code: 'INVALID_VALUE', path: 'c.headerMedia.fileName' }]);
    }
  });

  it('refuses a link over 2,000 characters', () => {
    const long = `https://cdn.example.com/${'a'.repeat(2000)}`;
    expect(
      validateContentFields(template({ format: 'DOCUMENT', link: long }), 'c', files),
    ).toMatchObject([{ code: 'INVALID_VALUE', path: 'c.headerMedia.link' }]);
  });
});
