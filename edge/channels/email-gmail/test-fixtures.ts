import type { GoogleOptions } from '../../../test/fakes/google';
import { type JsonServer, startJsonServer } from '../../../test/fakes/json-server';
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

/** A send-as alias as users.settings.sendAs.list answers it (SendAs resource). */
export interface GmailSendAs {
  sendAsEmail: string;
  isPrimary?: boolean;
  /** "accepted" or "pending" for custom aliases; absent on the primary address. */
  verificationStatus?: 'accepted' | 'pending';
}

/** Scopes of users.settings.sendAs.list (its reference, "Authorization scopes"). */
export const SEND_AS_LIST_SCOPES = [
  'https://www.googleapis.com/auth/gmail.settings.basic',
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://www.googleapis.com/auth/gmail.readonly',
];

/**
 * The Google stand-in (test/fakes/google.ts) with `GET /gmail/v1/users/me/settings/sendAs`
 * (users.settings.sendAs.list: `{ sendAs: SendAs[] }`, the primary address included; one of
 * SEND_AS_LIST_SCOPES needed, else 403 `insufficientPermissions`; an unknown token 401), in
 * front of it: every other request goes on to the stand-in. Access tokens are known by the
 * token endpoint's answers (their `scope`) that pass through.
 */
export async function startGmailWithAliases(
  google: { url: string },
  aliases: GmailSendAs[],
): Promise<JsonServer> {
  const granted = new Map<string, string[]>();
  const error = (status: number, reason: string, message: string, text: string) => ({
    status,
    body: {
      error: {
        code: status,
        message,
        errors: [{ message, domain: 'global', reason }],
        status: text,
      },
    },
  });
  return startJsonServer({
    async answer(request) {
      if (request.method === 'GET' && request.path === '/gmail/v1/users/me/settings/sendAs') {
        const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
        const scopes = bearer ? granted.get(bearer) : undefined;
        if (!scopes) {
          return error(
            401,
            'authError',
            'Request had invalid authentication credentials.',
            'UNAUTHENTICATED',
          );
        }
        if (!scopes.some((scope) => SEND_AS_LIST_SCOPES.includes(scope))) {
          return error(
            403,
            'insufficientPermissions',
            'Request had insufficient authentication scopes.',
            'PERMISSION_DENIED',
          );
        }
        return { status: 200, body: { sendAs: aliases } };
      }
      const query = request.query.toString();
      const forwarded = await fetch(`${google.url}${request.path}${query ? `?${query}` : ''}`, {
        method: request.method,
        headers: {
          ...(request.headers['content-type']
            ? { 'content-type': String(request.headers['content-type']) }
            : {}),
          ...(request.headers.authorization
            ? { authorization: String(request.headers.authorization) }
            : {}),
        },
        ...(request.raw ? { body: request.raw } : {}),
      });
      const body = (await forwarded.json()) as Record<string, unknown>;
      if (request.path === '/token' && typeof body.access_token === 'string') {
        granted.set(
          body.access_token,
          String(body.scope ?? '')
            .split(' ')
            .filter(Boolean),
        );
      }
      return { status: forwarded.status, body };
    },
  });
}
