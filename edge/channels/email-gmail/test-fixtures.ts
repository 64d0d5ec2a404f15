import type { GoogleOptions } from '../../../test/fakes/google';
import type { RenderContext } from '../../../workflow/variables';
import type { RenderMessageInput } from '../../render/message';
import type { RenderedMessage } from '../../render/types';
import { GMAIL_API_URL, GOOGLE_OAUTH_API_URL } from '../google/endpoints';
import type { ChannelRecord, OutboundMessage, ProviderEndpoints, ProviderThread } from '../types';

/** Shared by the Gmail channel's tests: one OAuth client, one mailbox, one contact. */

export const GMAIL_TEST_ACCOUNT: GoogleOptions = {
  clientId: '1234567890-test.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-test-client-secret',
  refreshToken: '1//0test-refresh-token',
  mailbox: 'team@example.com',
};

export const contact = {
  id: 'contact-1',
  firstName: '<b>Zoë</b>',
  lastName: 'Lovelace',
  email: 'zoe@example.net',
};

const ctx: RenderContext = {
  contact: { firstName: contact.firstName, lastName: contact.lastName, email: contact.email },
  now: new Date('2030-01-02T10:00:00Z'),
  timezone: 'UTC',
};

/** Both Google endpoints at one stand-in. */
export function googleEndpoints(url: string): ProviderEndpoints {
  return { [GMAIL_API_URL]: url, [GOOGLE_OAUTH_API_URL]: url };
}

export function gmailChannel(account: GoogleOptions = GMAIL_TEST_ACCOUNT): ChannelRecord {
  return {
    id: 'channel-gmail',
    type: 'email',
    provider: 'gmail',
    name: 'Team Gmail',
    settings: { fromAddress: account.mailbox, fromName: 'Sendflow Team' },
    credentials: {
      clientId: account.clientId,
      clientSecret: account.clientSecret,
      refreshToken: account.refreshToken,
    },
  };
}

/** A step's email: its subject names the step, so a later step's subject differs. */
export function gmailRenderInput(
  deliveryId: string,
  subject: string,
  previous: string[],
): RenderMessageInput {
  return {
    content: { type: 'text', text: 'unused: the step has a body' },
    email: {
      subject,
      body: [
        { type: 'heading', level: 2, spans: [{ text: 'Hello $contact.firstname' }] },
        { type: 'paragraph', spans: [{ text: 'Thanks for joining.' }] },
      ],
    },
    channelType: 'email',
    ctx,
    snippets: new Map(),
    files: new Map(),
    thread: { messageIds: previous },
    deliveryId,
    domain: 'example.com',
    templateKey: 'version-1:gmail-step',
  };
}

export function gmailOutbound(
  deliveryId: string,
  rendered: RenderedMessage,
  options: { channel?: ChannelRecord; thread?: ProviderThread; recipient?: string } = {},
): OutboundMessage {
  return {
    deliveryId,
    workspaceId: 'workspace-1',
    channel: options.channel ?? gmailChannel(),
    recipient: options.recipient ?? contact.email,
    contact,
    rendered,
    ...(options.thread ? { providerThread: options.thread } : {}),
  };
}
