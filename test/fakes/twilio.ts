import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { serveLocally } from './local-server';

/**
 * A local stand-in for Twilio Programmable Messaging, built from Twilio's reference, not from
 * our code:
 *
 * - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` ("Message resource", "Create a
 *   Message resource"): form-encoded; HTTP Basic auth with the Account SID and auth token
 *   (else 401, error 20003); `To` required (21604); `From` (21603) or `MessagingServiceSid`;
 *   `Body`, `MediaUrl` or `ContentSid` required (21602); a Body over 1,600 characters is 21617;
 *   `whatsapp:` on one address and not the other is 21910. Answers 201 with the Message
 *   (`sid` "SM…", `status` "queued", `num_segments`…).
 * - `GET /2010-04-01/Accounts/{AccountSid}.json` ("Account resource").
 * - `GET /v1/ContentAndApprovals` (Content API, on its own host in production): `contents[]`
 *   paged by `PageSize` and `PageToken`, with `meta.next_page_url` while more remain.
 * - Errors as the REST API writes them ("Errors"): `{ code, message, more_info, status }`.
 *
 * Twilio's side of webhooks (status callbacks and incoming messages signed with
 * `X-Twilio-Signature`, computed here with node:crypto) is `postTwilioWebhook` below; it can
 * sign the URL with its port written out, which Twilio may do, and `twilioJsonWebhook` builds a
 * JSON webhook signed with `bodySHA256`. `statusCallback`, `incomingMessage` and
 * `incomingLocation` build the parameters of those webhooks.
 */

export interface TwilioRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
}

export interface TwilioReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** Content API templates (`ContentAndApprovals` items) the account has. */
  contents?: Record<string, unknown>[];
  /** Largest Content API page served, whatever `PageSize` asks (to exercise paging). */
  contentPageSize?: number;
  /** `meta.next_page_url` of the first Content API page instead of the real one (odd answers). */
  firstNextPageUrl?: unknown;
}

export interface TwilioStandIn {
  url: string;
  requests: TwilioRequest[];
  /** The message create requests received, in order. */
  sends(): TwilioRequest[];
  /** Answers the next message creates with `reply` (once per reply queued), before any checks. */
  replyNext(...replies: TwilioReply[]): void;
  close(): Promise<void>;
}

/** A Twilio REST error answer ("Errors"). */
export function twilioError(status: number, code: number, message: string): TwilioReply {
  return {
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  };
}

function sid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/** Why a create form breaks the reference, or null when it is well formed. */
function formProblem(form: URLSearchParams): TwilioReply | null {
  const to = form.get('To');
  const from = form.get('From');
  if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
  if (!from && !form.get('MessagingServiceSid')) {
    return twilioError(400, 21603, "A 'From' phone number is required.");
  }
  if (!/^(whatsapp:)?\+[1-9]\d{6,14}$/.test(to)) {
    return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  }
  if (from && to.startsWith('whatsapp:') !== from.startsWith('whatsapp:')) {
    return twilioError(
      400,
      21910,
      'Invalid From and To pair. From and To should be of the same channel',
    );
  }
  if (!form.get('Body') && !form.get('MediaUrl') && !form.get('ContentSid')) {
    return twilioError(400, 21602, 'Message body is required.');
  }
  if ((form.get('Body') ?? '').length > 1600) {
    return twilioError(
      400,
      21617,
      'The concatenated message body exceeds the 1600 character limit.',
    );
  }
  const callback = form.get('StatusCallback');
  if (callback && !/^https?:\/\/[^_]+$/.test(callback)) {
    return twilioError(400, 21609, 'Invalid StatusCallback URL');
  }
  return null;
}

/** Starts the stand-in on 127.0.0.1 and a free port. */
export async function startTwilio(options: TwilioOptions): Promise<TwilioStandIn> {
  const requests: TwilioRequest[] = [];
  const queued: TwilioReply[] = [];
  const accountPath = `/2010-04-01/Accounts/${options.accountSid}`;
  const basic = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;

  function contentPage(request: TwilioRequest): TwilioReply {
    if (request.headers.authorization !== basic) return twilioError(401, 20003, 'Authenticate');
    const contents = options.contents ?? [];
    const size = Math.min(
      Number(request.query.get('PageSize') ?? 50),
      options.contentPageSize ?? 1000,
    );
    const start = Number(request.query.get('PageToken')?.replace('PT', '') ?? 0);
    const end = start + size;
    return {
      status: 200,
      body: {
        contents: contents.slice(start, end),
        meta: {
          page_size: size,
          key: 'contents',
          next_page_url:
            start === 0 && 'firstNextPageUrl' in options
              ? options.firstNextPageUrl
              : end < contents.length
                ? `https://content.twilio.com/v1/ContentAndApprovals?PageSize=${size}&PageToken=PT${end}`
                : null,
        },
      },
    };
  }

  function answer(request: TwilioRequest): TwilioReply {
    const isSend = request.method === 'POST' && request.path.endsWith('/Messages.json');
    if (isSend && queued.length > 0) return queued.shift()!;
    if (request.method === 'GET' && request.path === '/v1/ContentAndApprovals') {
      return contentPage(request);
    }
    if (request.headers.authorization !== basic || !request.path.startsWith(accountPath)) {
      return twilioError(401, 20003, 'Authenticate');
    }
    if (isSend && request.path === `${accountPath}/Messages.json`) {
      const problem = formProblem(request.form);
      if (problem) return problem;
      const form = request.form;
      return {
        status: 201,
        body: {
          sid: sid(form.get('MediaUrl') ? 'MM' : 'SM'),
          account_sid: options.accountSid,
          to: form.get('To'),
          from: form.get('From'),
          messaging_service_sid: form.get('MessagingServiceSid'),
          body: form.get('Body') ?? '',
          status: form.get('MessagingServiceSid') ? 'accepted' : 'queued',
          num_media: form.get('MediaUrl') ? '1' : '0',
          num_segments: '1',
          api_version: '2010-04-01',
          date_created: new Date().toUTCString(),
          error_code: null,
          error_message: null,
        },
      };
    }
    if (request.method === 'GET' && request.path === `${accountPath}.json`) {
      return {
        status: 200,
        body: { sid: options.accountSid, friendly_name: 'Sendflow Test', status: 'active' },
      };
    }
    return twilioError(404, 20404, 'The requested resource was not found');
  }

  const { url, close } = await serveLocally((incoming, body) => {
    const target = new URL(incoming.url ?? '/', 'http://twilio.local');
    const request: TwilioRequest = {
      method: incoming.method ?? '',
      path: target.pathname,
      query: target.searchParams,
      headers: incoming.headers,
      form: new URLSearchParams(body),
    };
    requests.push(request);
    const reply = answer(request);
    return { status: reply.status, headers: reply.headers, text: JSON.stringify(reply.body) };
  });
  return {
    url,
    requests,
    sends: () => requests.filter((request) => request.path.endsWith('/Messages.json')),
    replyNext: (...replies) => queued.push(...replies),
    close,
  };
}

/**
 * `X-Twilio-Signature` as Twilio computes it ("Webhooks security"): base64 HMAC-SHA1 with the
 * auth token of the URL followed by each parameter, sorted by name, as name + value.
 */
export function twilioWebhookSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
): string {
  const data = Object.keys(params)
    .sort()
    .reduce((signed, name) => signed + name + params[name], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * `url` with its port written out (the scheme's default when it has none): Twilio may sign
 * either form of the URL it calls, which is why its own validator (twilio-node
 * `validateRequest`) checks the URL with and without the port.
 */
export function withExplicitPort(url: string): string {
  const parsed = new URL(url);
  if (parsed.port) return url;
  const port = parsed.protocol === 'https:' ? '443' : '80';
  return `${parsed.protocol}//${parsed.host}:${port}${parsed.pathname}${parsed.search}`;
}

/** How a webhook is signed: correctly, with the wrong token, or not at all. */
export type TwilioSigning = 'valid' | 'forged' | 'missing';

/** POSTs a form-encoded webhook to our callback URL the way Twilio does. */
export function postTwilioWebhook(
  url: string,
  params: Record<string, string>,
  authToken: string,
  signing: TwilioSigning = 'valid',
  send: (url: string, init: RequestInit) => Promise<Response> = fetch,
  options: { signedUrl?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'TwilioProxy/1.1',
  };
  const signedUrl = options.signedUrl ?? url;
  if (signing === 'valid') {
    headers['x-twilio-signature'] = twilioWebhookSignature(authToken, signedUrl, params);
  }
  if (signing === 'forged') {
    headers['x-twilio-signature'] = twilioWebhookSignature(`${authToken}-not`, signedUrl, params);
  }
  return send(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
}

/**
 * A JSON webhook as Twilio sends one ("Webhooks security"; Error 57012): the hex SHA-256 of the
 * raw body goes in the URL as `bodySHA256`, and `X-Twilio-Signature` signs that URL alone (no
 * parameters appended). Answers the URL called and the request to make.
 */
export function twilioJsonWebhook(
  url: string,
  body: string,
  authToken: string,
  signing: TwilioSigning = 'valid',
): { url: string; init: RequestInit } {
  const hash = createHash('sha256').update(body, 'utf8').digest('hex');
  const called = `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${hash}`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'TwilioProxy/1.1',
  };
  if (signing !== 'missing') {
    const key = signing === 'forged' ? `${authToken}-not` : authToken;
    headers['x-twilio-signature'] = createHmac('sha1', key).update(called, 'utf8').digest('base64');
  }
  return { url: called, init: { method: 'POST', headers, body } };
}

/** A status callback for message `messageSid` ("Twilio's request to the StatusCallback URL"). */
export function statusCallback(
  accountSid: string,
  messageSid: string,
  status: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    MessageSid: messageSid,
    SmsSid: messageSid,
    MessageStatus: status,
    SmsStatus: status,
    ...extra,
  };
}

/** An incoming message webhook ("Messaging webhooks": incoming message parameters). */
export function incomingMessage(
  accountSid: string,
  from: string,
  to: string,
  body: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const messageSid = sid('SM');
  return {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    MessageSid: messageSid,
    SmsMessageSid: messageSid,
    SmsSid: messageSid,
    SmsStatus: 'received',
    From: from,
    To: to,
    Body: body,
    NumMedia: '0',
    NumSegments: '1',
    ...extra,
  };
}

/**
 * An incoming message that shares a location ("Twilio's request to your incoming message Webhook
 * URL", Rich messaging feature parameters: `Latitude` and `Longitude` of the location, and for a
 * place `Address` and `Label`, its name). `Body` is left empty and there is no media: the
 * reference gives a shared location no text of its own. Values are strings, as form parameters
 * are; a test may pass malformed ones.
 */
export function incomingLocation(
  accountSid: string,
  from: string,
  to: string,
  location: { latitude: string; longitude: string; address?: string; label?: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return incomingMessage(accountSid, from, to, '', {
    Latitude: location.latitude,
    Longitude: location.longitude,
    ...(location.address === undefined ? {} : { Address: location.address }),
    ...(location.label === undefined ? {} : { Label: location.label }),
    ...extra,
  });
}
