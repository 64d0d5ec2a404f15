import { describe, expect, it } from 'vitest';
import { sendConfig } from './graph-fixtures';
import { messageTexts } from './message-texts';

describe('messageTexts', () => {
  it('lists the default text as a required, limited text', () => {
    expect(messageTexts(sendConfig())).toEqual([
      {
        path: 'defaultMessage.text',
        text: 'Hi $contact.firstname',
        limited: true,
        required: true,
        kind: 'content',
      },
    ]);
  });

  it('lists captions, template parameters, tagged texts, subject and body with their paths', () => {
    const texts = messageTexts(
      sendConfig({
        defaultMessage: { type: 'media', fileId: 'f', caption: 'cap' },
        channelResponses: [
          {
            channelId: 'wa',
            content: {
              type: 'whatsapp_template',
              templateName: 't',
              languageCode: 'en',
              parameters: ['p1', 'p2'],
            },
          },
          {
            channelId: 'ms',
            content: { type: 'messenger_tagged', tag: 'HUMAN_AGENT', text: 'tag' },
          },
          { channelId: 'tg', content: { type: 'media', fileId: 'f' } },
        ],
        email: {
          subject: 'subj',
          body: [{ type: 'paragraph', spans: [{ text: 'body', link: 'https://x.io' }] }],
        },
      }),
    );
    expect(texts.map(({ path, text, limited, kind }) => [path, text, limited, kind])).toEqual([
      ['defaultMessage.caption', 'cap', true, 'content'],
      ['channelResponses[0].content.parameters[0]', 'p1', true, 'content'],
      ['channelResponses[0].content.parameters[1]', 'p2', true, 'content'],
      ['channelResponses[1].content.text', 'tag', true, 'content'],
      ['email.subject', 'subj', false, 'subject'],
      ['email.body[0].spans[0].text', 'body', false, 'body'],
      ['email.body[0].spans[0].link', 'https://x.io', false, 'link'],
    ]);
  });

  it('skips a media message without a caption and an empty subject', () => {
    expect(
      messageTexts(
        sendConfig({ defaultMessage: { type: 'media', fileId: 'f' }, email: { subject: '' } }),
      ),
    ).toEqual([]);
  });
});
