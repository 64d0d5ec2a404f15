import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';

/**
 * A local stand-in for Google's OAuth 2.0 token endpoint and the Gmail API, built from Google's
 * references, not from our code. One server answers both (point GOOGLE_OAUTH_API_URL and
 * GMAIL_API_URL at it):
 *
 * - `POST /token` (Using OAuth 2.0 for Web Server Applications, "Refreshing an access token"):
 *   form-encoded `client_id`, `client_secret`, `refresh_token`, `grant_type=refresh_token`;
 *   answers `{ access_token, expires_in, scope, token_type: 'Bearer' }`. A wrong client is 401
 *   `invalid_client`; an unknown or revoked refresh token is 400 `invalid_grant` (RFC 6749 §5.2).
 * - `POST /gmail/v1/users/me/messages/send` (users.messages.send): bearer token with a send
 *   scope; JSON `{ raw, threadId? }`, `raw` the RFC 2822 message in base64url. A request body
 *   over 5 MB is refused 413 "Request Entity Too Large": Google's upload guide ("Uploading
 *   Attachments", "Upload options") sends larger data through the /upload URI, and clients that
 *   put larger messages into `raw` report a 413 (or a 400 "Request payload size exceeds the
 *   limit") from around 5 MB.
 * - `POST /upload/gmail/v1/users/me/messages/send?uploadType=multipart` (the same method's
 *   "/upload URI": "Maximum file size: 35MB", "Accepted Media MIME types: message/*"; the
 *   upload guide's "Multipart upload": a `multipart/related` body of exactly two parts, the
 *   metadata first (`application/json`, here `{ threadId? }`), the media second (its MIME
 *   type, `message/rfc822`: the message as it is, not encoded); the final boundary followed by
 *   two hyphens), or `?uploadType=media` (the message alone, no metadata). Over 35 MB is 413.
 *   Either way the message is parsed with a
 *   real MIME parser and refused (400 invalidArgument) without From, To or a Message-ID.
 *   Answers `{ id, threadId, labelIds: ['SENT'] }`. The message joins the named thread only
 *   when `threadId` is given, its In-Reply-To or References name a message of that thread and
 *   its Subject matches the thread's (Message resource, `threadId`); otherwise it starts one.
 *   A `threadId` the mailbox does not hold (never existed, or deleted: `deleteThread`) is
 *   refused, as Gmail is observed to refuse it (Google documents no answer for this case):
 *   400 `invalidArgument` "Invalid thread_id value" (reported by several public Gmail API
 *   clients that retry without the thread on it), or with `unknownThreadAnswer: 404` the
 *   404 `notFound` "Requested entity was not found." also reported for stale threads.
 * - `GET /gmail/v1/users/me/messages/<id>?format=metadata&metadataHeaders=…` (users.messages.get):
 *   needs a read scope (not gmail.send, not gmail.compose); answers `{ id, threadId, labelIds, payload: { headers } }`.
 *   With `assignsMessageIds`, the stand-in behaves as Gmail's API is reported to (Gmail's own
 *   Message-ID replaces the one in `raw`); threads then know messages by Gmail's ids.
 * - `GET /gmail/v1/users/me/profile` (users.getProfile): needs a read scope (gmail.metadata,
 *   gmail.readonly, gmail.compose, gmail.modify or mail.google.com); answers `{ emailAddress,
 *   messagesTotal, threadsTotal, historyId }`.
 * - Errors in Google's format ("Resolve errors"): `{ error: { code, message, errors: [{ domain,
 *   reason, message }], status } }`, with the error model's `details: [{ '@type':
 *   'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata }]` where Google adds
 *   one (Google Cloud API design guide, "Errors"; reasons of google.api.ErrorReason): a missing,
 *   unknown or revoked token is 401 `authError`, a token without the scope 403
 *   `insufficientPermissions` with the ErrorInfo `ACCESS_TOKEN_SCOPE_INSUFFICIENT`. Tests make
 *   the next answers any documented error: `googleError` (the `errors[]` form, optionally with
 *   an ErrorInfo), `googleErrorInfo` (the error model alone: `status` and `details`, no
 *   `errors[]`), `gmailApiDisabled` (the Gmail API disabled in the client's project).
 */

export const SCOPE = {
  send: 'https://www.googleapis.com/auth/gmail.send',
  metadata: 'https://www.googleapis.com/auth/gmail.metadata',
} as const;

const SEND_SCOPES = [
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://www.googleapis.com/auth/gmail.compose',
  'https://www.googleapis.com/auth/gmail.addons.current.action.compose',
  SCOPE.send,
];
/** Scopes of users.getProfile (its reference, "Authorization scopes"). */
const PROFILE_SCOPES = [
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://www.googleapis.com/auth/gmail.compose',
  'https://www.googleapis.com/auth/gmail.readonly',
  SCOPE.metadata,
];
/** Scopes of users.messages.get (its reference, "Authorization scopes"): gmail.compose is not one. */
const MESSAGE_GET_SCOPES = [
  'https://mail.google.com/',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://www.googleapis.com/auth/gmail.readonly',
  SCOPE.metadata,
];

/** Seconds Google's access tokens live (it answers 3599). */
const TOKEN_LIFETIME_SECONDS = 3599;

export interface GoogleRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface GoogleReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A message Gmail accepted. */
export interface GmailMessage {
  id: string;
  threadId: string;
  /** The `threadId` the request named, if any. */
  requestedThreadId: string | null;
  raw: string;
  parsed: ParsedMail;
  /** The Message-ID the message has in the mailbox (Gmail's own with `assignsMessageIds`). */
  messageId: string;
}

export interface GoogleOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  mailbox: string;
  scopes?: string[];
  /** Give sent messages Gmail's own Message-ID instead of the one in `raw`. */
  assignsMessageIds?: boolean;
  /** How a send naming a thread the mailbox does not hold is refused (default 400). */
  unknownThreadAnswer?: 400 | 404;
}

export interface GoogleStandIn {
  url: string;
  requests: GoogleRequest[];
  messages: GmailMessage[];
  /** Token requests received. */
  tokenRequests(): GoogleRequest[];
  /** Send requests received (accepted or not). */
  sendRequests(): GoogleRequest[];
  /** Answers the next send requests with these replies, before any checks. */
  replyNextSend(...replies: GoogleReply[]): void;
  /** Answers the next token requests with these replies, before any checks. */
  replyNextToken(...replies: GoogleReply[]): void;
  /** Answers the next users.getProfile requests with these replies, before any checks. */
  replyNextProfile(...replies: GoogleReply[]): void;
  /** The user revokes the grant: the refresh token and its access tokens stop working. */
  revokeGrant(): void;
  /** Access tokens issued so far stop working before they expire (the refresh token still works). */
  invalidateAccessTokens(): void;
  /** The mailbox user deletes a thread (users.threads.delete): its id is unknown from now on. */
  deleteThread(threadId: string): void;
  close(): Promise<void>;
}

/**
 * The canonical code Google gives with an HTTP status (google.rpc.Code, "HTTP Mapping"), as
 * the `status` of its error answers.
 */
const CANONICAL_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNKNOWN',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** An ErrorInfo detail of the error model, for the Gmail API (domain `googleapis.com`). */
function errorInfo(reason: string) {
  return {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason,
    domain: 'googleapis.com',
    metadata: { service: 'gmail.googleapis.com' },
  };
}

/** A Google API error answer ("Resolve errors"), with an ErrorInfo when `info` names one. */
export function googleError(
  status: number,
  reason: string,
  message: string,
  statusText = CANONICAL_STATUS[status] ?? 'UNKNOWN',
  info?: string,
): GoogleReply {
  return errorReply(status, message, statusText, {
    errors: [{ message, domain: 'global', reason }],
    ...(info ? { details: [errorInfo(info)] } : {}),
  });
}

/**
 * A Google API error answer in the error model alone: `code`, `message`, `status` and, when
 * `reason` is given, an ErrorInfo detail, without the older `errors[]`.
 */
export function googleErrorInfo(
  status: number,
  reason: string | null,
  message: string,
  statusText = CANONICAL_STATUS[status] ?? 'UNKNOWN',
): GoogleReply {
  return errorReply(status, message, statusText, reason ? { details: [errorInfo(reason)] } : {});
}

/** Google's error model (`code`, `message`, `status`) with the answer's other fields. */
function errorReply(
  status: number,
  message: string,
  statusText: string,
  fields: Record<string, unknown>,
): GoogleReply {
  return { status, body: { error: { code: status, message, status: statusText, ...fields } } };
}

/**
 * The Gmail API disabled in the Google Cloud project of the OAuth client: 403
 * `PERMISSION_DENIED`, `errors[].reason` `accessNotConfigured` (domain `usageLimits`) and the
 * ErrorInfo `SERVICE_DISABLED` (google.api.ErrorReason: "The request is calling a disabled
 * service for a consumer").
 */
export function gmailApiDisabled(): GoogleReply {
  const message =
    'Gmail API has not been used in project 123456789012 before or it is disabled. Enable it by visiting the API console, then retry.';
  return {
    status: 403,
    body: {
      error: {
        code: 403,
        message,
        errors: [{ message, domain: 'usageLimits', reason: 'accessNotConfigured' }],
        status: 'PERMISSION_DENIED',
        details: [
          {
            ...errorInfo('SERVICE_DISABLED'),
            metadata: { service: 'gmail.googleapis.com', consumer: 'projects/123456789012' },
          },
        ],
      },
    },
  };
}

/**
 * Gmail's per-user rate limit answer ("Resolve errors", "Resolve a 429 error: Too many
 * requests": the error "is returned with time to retry"), as Gmail writes it: no `Retry-After`
 * header, the time in the top-level message, `usageLimits`/`rateLimitExceeded` in `errors`.
 */
export function userRateLimit(retryAt: Date, status = 429): GoogleReply {
  return {
    status,
    body: {
      error: {
        code: status,
        message: `User-rate limit exceeded.  Retry after ${retryAt.toISOString()}`,
        errors: [
          {
            message: 'User-rate limit exceeded.',
            domain: 'usageLimits',
            reason: 'rateLimitExceeded',
          },
        ],
        status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'PERMISSION_DENIED',
      },
    },
  };
}

/** An OAuth 2.0 token endpoint error (RFC 6749 §5.2). */
export function oauthError(status: number, error: string, description: string): GoogleReply {
  return { status, body: { error, error_description: description } };
}

const unauthenticated = () =>
  googleError(
    401,
    'authError',
    'Request had invalid authentication credentials. Expected OAuth 2 access token.',
    'UNAUTHENTICATED',
  );
export const insufficientScope = () =>
  googleError(
    403,
    'insufficientPermissions',
    'Request had insufficient authentication scopes.',
    'PERMISSION_DENIED',
    'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
  );

/** Gmail's message and thread ids: 16 hex digits. */
const gmailId = () => randomBytes(8).toString('hex');

function headerIds(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : value.split(/\s+/)).filter(Boolean);
}

const SEND_PATH = '/gmail/v1/users/me/messages/send';
/** Largest body the metadata URI takes (see the header comment). */
const METADATA_MAX_BYTES = 5 * 1024 * 1024;
/** users.messages.send's /upload URI: "Maximum file size: 35MB". */
const UPLOAD_MAX_BYTES = 35 * 1000 * 1000;

/** What a send request carries, whichever URI it came to: the RFC 2822 message and its thread. */
export interface GmailSendPayload {
  raw: string;
  threadId: string | null;
}

const tooLarge = () => googleError(413, 'uploadTooLarge', 'Request Entity Too Large');

/** The message and thread of a send request, or Google's answer to a malformed one. */
export function sendPayloadOf(request: GoogleRequest): GmailSendPayload | { refused: GoogleReply } {
  if (!request.path.startsWith('/upload/')) {
    if (Buffer.byteLength(request.body) > METADATA_MAX_BYTES) return { refused: tooLarge() };
    let body: { raw?: unknown; threadId?: unknown };
    try {
      body = JSON.parse(request.body) as typeof body;
    } catch {
      return { refused: googleError(400, 'badRequest', 'Invalid JSON payload received.') };
    }
    if (typeof body.raw !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(body.raw)) {
      return { refused: googleError(400, 'invalidArgument', 'Invalid value for ByteString: raw') };
    }
    return {
      raw: Buffer.from(body.raw, 'base64url').toString('utf8'),
      threadId: typeof body.threadId === 'string' ? body.threadId : null,
    };
  }
  const badRequest = (message: string) => ({ refused: googleError(400, 'badRequest', message) });
  const contentType = String(request.headers['content-type'] ?? '');
  const uploadType = request.query.get('uploadType');
  if (uploadType === 'media') {
    if (!/^message\//i.test(contentType)) return badRequest('Media type not accepted');
    if (Buffer.byteLength(request.body) > UPLOAD_MAX_BYTES) return { refused: tooLarge() };
    return { raw: request.body, threadId: null };
  }
  if (uploadType !== 'multipart') return badRequest('Invalid upload request: uploadType');
  const boundary = /^multipart\/related;.*\bboundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return badRequest('Invalid multipart request: no boundary');
  // RFC 2046 §5.1.1: each part follows `--boundary` and a line break; the line break before a
  // delimiter belongs to it; the last delimiter is followed by `--`.
  const sections = request.body.split(`--${boundary}`);
  const closing = sections.at(-1) ?? '';
  if (sections.length !== 4 || !/^--(\r\n)?$/.test(closing)) {
    return badRequest('Invalid multipart request: exactly two parts expected');
  }
  const parts = sections.slice(1, 3).map((section) => {
    const content = section.replace(/^\r\n/, '').replace(/\r\n$/, '');
    const split = content.indexOf('\r\n\r\n');
    const head = split < 0 ? content : content.slice(0, split);
    return {
      type: /^content-type:\s*([^;\r\n]+)/im.exec(head)?.[1]?.trim().toLowerCase() ?? '',
      body: split < 0 ? '' : content.slice(split + 4),
    };
  });
  const [metadata, media] = parts as [(typeof parts)[0], (typeof parts)[0]];
  if (metadata.type !== 'application/json') {
    return badRequest('Invalid multipart request: the metadata part must come first, as JSON');
  }
  if (!media.type.startsWith('message/')) return badRequest('Media type not accepted');
  if (Buffer.byteLength(media.body) > UPLOAD_MAX_BYTES) return { refused: tooLarge() };
  let meta: { threadId?: unknown };
  try {
    meta = (metadata.body.trim() ? JSON.parse(metadata.body) : {}) as typeof meta;
  } catch {
    return badRequest('Invalid JSON payload received.');
  }
  return { raw: media.body, threadId: typeof meta.threadId === 'string' ? meta.threadId : null };
}

/** Starts the stand-in on 127.0.0.1 and a free port. */
export async function startGoogle(options: GoogleOptions): Promise<GoogleStandIn> {
  const scopes = options.scopes ?? [SCOPE.send];
  const requests: GoogleRequest[] = [];
  const messages: GmailMessage[] = [];
  const sendReplies: GoogleReply[] = [];
  const tokenReplies: GoogleReply[] = [];
  const profileReplies: GoogleReply[] = [];
  const tokens = new Map<string, { expiresAt: number; scopes: string[] }>();
  const threads = new Map<string, { subject: string; messageIds: string[] }>();
  let grantRevoked = false;

  function token(request: GoogleRequest): GoogleReply {
    if (tokenReplies.length > 0) return tokenReplies.shift()!;
    if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 'Bad Request');
    }
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') !== 'refresh_token') {
      return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type');
    }
    if (
      form.get('client_id') !== options.clientId ||
      form.get('client_secret') !== options.clientSecret
    ) {
      return oauthError(401, 'invalid_client', 'Unauthorized');
    }
    if (grantRevoked || form.get('refresh_token') !== options.refreshToken) {
      return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, { expiresAt: Date.now() + TOKEN_LIFETIME_SECONDS * 1000, scopes });
    return {
      status: 200,
      body: {
        access_token: accessToken,
        expires_in: TOKEN_LIFETIME_SECONDS,
        scope: scopes.join(' '),
        token_type: 'Bearer',
      },
    };
  }

  function grantedScopes(request: GoogleRequest): string[] | null {
    const match = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ''));
    const granted = match ? tokens.get(match[1]!) : undefined;
    if (!granted || granted.expiresAt < Date.now()) return null;
    return granted.scopes;
  }

  async function send(request: GoogleRequest): Promise<GoogleReply> {
    if (sendReplies.length > 0) return sendReplies.shift()!;
    const granted = grantedScopes(request);
    if (!granted) return unauthenticated();
    if (!granted.some((scope) => SEND_SCOPES.includes(scope))) return insufficientScope();
    const payload = sendPayloadOf(request);
    if ('refused' in payload) return payload.refused;
    const { raw } = payload;
    const parsed = await simpleParser(raw);
    if (!parsed.from) return googleError(400, 'invalidArgument', 'Invalid From header');
    if (!parsed.to) return googleError(400, 'invalidArgument', 'Recipient address required');
    if (!parsed.messageId) return googleError(400, 'invalidArgument', 'Missing Message-ID');
    const requestedThreadId = payload.threadId;
    const subject = parsed.subject ?? '';
    const messageId = options.assignsMessageIds
      ? `<CA+${randomBytes(18).toString('base64url')}@mail.gmail.com>`
      : parsed.messageId;
    const named = [...headerIds(parsed.inReplyTo), ...headerIds(parsed.references)];
    const existing = requestedThreadId ? threads.get(requestedThreadId) : undefined;
    if (requestedThreadId !== null && existing === undefined) {
      return options.unknownThreadAnswer === 404
        ? googleError(404, 'notFound', 'Requested entity was not found.', 'NOT_FOUND')
        : googleError(400, 'invalidArgument', 'Invalid thread_id value');
    }
    const joins =
      existing !== undefined &&
      existing.subject === subject &&
      named.some((id) => existing.messageIds.includes(id));
    const threadId = joins ? requestedThreadId! : gmailId();
    const thread = threads.get(threadId) ?? { subject, messageIds: [] };
    thread.messageIds.push(messageId);
    threads.set(threadId, thread);
    const id = gmailId();
    messages.push({ id, threadId, requestedThreadId, raw, parsed, messageId });
    return { status: 200, body: { id, threadId, labelIds: ['SENT'] } };
  }

  function message(request: GoogleRequest, id: string): GoogleReply {
    const granted = grantedScopes(request);
    if (!granted) return unauthenticated();
    if (!granted.some((scope) => MESSAGE_GET_SCOPES.includes(scope))) return insufficientScope();
    const found = messages.find((candidate) => candidate.id === id);
    if (!found) return googleError(404, 'notFound', 'Requested entity was not found.', 'NOT_FOUND');
    const wanted = request.query.getAll('metadataHeaders').map((name) => name.toLowerCase());
    const headers = [
      { name: 'Message-ID', value: found.messageId },
      { name: 'Subject', value: found.parsed.subject ?? '' },
    ].filter((header) => wanted.length === 0 || wanted.includes(header.name.toLowerCase()));
    return {
      status: 200,
      body: {
        id: found.id,
        threadId: found.threadId,
        labelIds: ['SENT'],
        payload: { mimeType: 'multipart/alternative', headers },
      },
    };
  }

  function profile(request: GoogleRequest): GoogleReply {
    if (profileReplies.length > 0) return profileReplies.shift()!;
    const granted = grantedScopes(request);
    if (!granted) return unauthenticated();
    if (!granted.some((scope) => PROFILE_SCOPES.includes(scope))) return insufficientScope();
    return {
      status: 200,
      body: {
        emailAddress: options.mailbox,
        messagesTotal: messages.length,
        threadsTotal: threads.size,
        historyId: String(1000 + messages.length),
      },
    };
  }

  async function answer(request: GoogleRequest): Promise<GoogleReply> {
    if (request.method === 'POST' && request.path === '/token') return token(request);
    if (
      request.method === 'POST' &&
      (request.path === SEND_PATH || request.path === `/upload${SEND_PATH}`)
    ) {
      return send(request);
    }
    if (request.method === 'GET' && request.path === '/gmail/v1/users/me/profile') {
      return profile(request);
    }
    const get = /^\/gmail\/v1\/users\/me\/messages\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && get) return message(request, decodeURIComponent(get[1]!));
    return googleError(404, 'notFound', 'Requested entity was not found.', 'NOT_FOUND');
  }

  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://google.local');
      const request: GoogleRequest = {
        method: incoming.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      answer(request)
        .catch(() => googleError(500, 'backendError', 'Backend Error', 'INTERNAL'))
        .then((reply) => {
          outgoing.writeHead(reply.status, {
            'content-type': 'application/json; charset=UTF-8',
            ...reply.headers,
          });
          outgoing.end(JSON.stringify(reply.body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    messages,
    tokenRequests: () => requests.filter((request) => request.path === '/token'),
    sendRequests: () => requests.filter((request) => request.path.endsWith('/messages/send')),
    replyNextSend: (...replies) => sendReplies.push(...replies),
    replyNextToken: (...replies) => tokenReplies.push(...replies),
    replyNextProfile: (...replies) => profileReplies.push(...replies),
    revokeGrant() {
      grantRevoked = true;
      tokens.clear();
    },
    invalidateAccessTokens: () => tokens.clear(),
    deleteThread(threadId) {
      threads.delete(threadId);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
