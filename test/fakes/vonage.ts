import {
  createHash,
  createHmac,
  createPublicKey,
  createVerify,
  generateKeyPairSync,
  randomUUID,
} from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { serveLocally } from './local-server';

/**
 * A local stand-in for Vonage's Messages API, built from Vonage's reference, not from our code:
 *
 * - `POST /v1/messages` ("Send a message"): `Authorization: Bearer <JWT>` signed RS256 with the
 *   application's private key, with `application_id`, `iat`, `jti` (checked here against the
 *   public key with node:crypto; else 401 `…/api-errors#unauthorized`); the body's `to`/`from`
 *   as digits without `+`, `channel` sms or whatsapp, `message_type` and its object, a `text`
 *   of at most 1,000 characters on SMS and 4,096 on WhatsApp (else 422
 *   `…/api-errors/messages#1020`). Answers 202 `{ message_uuid }`.
 * - On WhatsApp, `to` may instead be a business-scoped user ID, whole ("The `to` field now
 *   accepts either a phone number or a BSUID for WhatsApp recipients"; "always include the full
 *   value - country code prefix, period, and all alphanumeric characters": "Handling WhatsApp
 *   Usernames and BSUIDs"); SMS takes digits only.
 * - Errors in RFC 7807 form ("API Errors").
 *
 * `whatsappStatus` is a WhatsApp status webhook as Vonage documents it for usernames ("Webhook
 * Changes for WhatsApp Usernames"): `to` is what the business sent to (a phone or a BSUID), with
 * `profile { name, username }` and `whatsapp.recipient { user_id, parent_user_id, wa_id }`;
 * `whatsappInboundLocation` is a location a WhatsApp user sent (`location { lat, long, … }`).
 *
 * Vonage's side of webhooks (`signedWebhook`): the body with `Authorization: Bearer <JWT>`,
 * HS256 with the signature secret, `payload_hash` = hex SHA-256 of the body (computed here with
 * node:crypto, independently of the verifier under test).
 */

export interface VonageRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  json: Record<string, unknown> | null;
  /** The verified JWT claims of the call, or null when it did not verify. */
  claims: Record<string, unknown> | null;
}

export interface VonageReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface VonageStandIn {
  url: string;
  requests: VonageRequest[];
  sends(): VonageRequest[];
  replyNext(...replies: VonageReply[]): void;
  close(): Promise<void>;
}

/** An application key pair, as the Vonage dashboard generates one (PKCS#8 private key). */
export function vonageKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

/** A Vonage error answer; numeric codes are Messages API ones, others generic. */
export function vonageError(status: number, code: string, title: string): VonageReply {
  const page = /^\d+$/.test(code) ? 'api-errors/messages' : 'api-errors';
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: {
      type: `https://developer.vonage.com/${page}#${code}`,
      title,
      detail: `${title} (stand-in)`,
      instance: randomUUID(),
    },
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** The claims of an RS256 JWT verified against `publicKey`, or null. */
function verifyRs256(token: string, publicKey: string): Record<string, unknown> | null {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return null;
  try {
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') return null;
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${header}.${payload}`);
    if (!verifier.verify(createPublicKey(publicKey), Buffer.from(signature, 'base64url'))) {
      return null;
    }
    return JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    return null;
  }
}

const MESSAGE_TYPES: Record<string, readonly string[]> = {
  sms: ['text'],
  whatsapp: ['text', 'image', 'video', 'audio', 'file', 'template'],
};

/**
 * A business-scoped user ID as WhatsApp writes it: a two-letter country code, a period, then
 * alphanumerics (a parent BSUID has `ENT.` after the country code).
 */
const BSUID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

function bodyProblem(body: Record<string, unknown> | null): string | null {
  if (!body) return 'the body is not JSON';
  const to = typeof body.to === 'string' ? body.to : '';
  if (!/^\d{7,15}$/.test(to) && !(body.channel === 'whatsapp' && BSUID.test(to))) {
    return body.channel === 'whatsapp'
      ? 'to must be digits or a business-scoped user ID'
      : 'to must be digits';
  }
  if (typeof body.from !== 'string' || body.from === '') return 'from is required';
  const types = MESSAGE_TYPES[String(body.channel)];
  if (!types) return `channel ${String(body.channel)} is not supported`;
  const type = String(body.message_type);
  if (!types.includes(type)) return `message_type ${type} is not valid on ${body.channel}`;
  if (type === 'text') {
    if (typeof body.text !== 'string' || body.text === '') return 'text is required';
    // "Send a message": SMS text "limited to 1000 characters"; WhatsApp text "the maximum
    // text size is 4096 characters, including Unicode" ("Send a Text Message").
    const limit = body.channel === 'whatsapp' ? 4096 : 1000;
    if ([...body.text].length > limit) return `text has at most ${limit} characters`;
  } else if (type === 'template') {
    const template = body.template as Record<string, unknown> | undefined;
    const whatsapp = body.whatsapp as Record<string, unknown> | undefined;
    if (typeof template?.name !== 'string' || typeof whatsapp?.locale !== 'string') {
      return 'template.name and whatsapp.locale are required';
    }
  } else {
    const media = body[type] as Record<string, unknown> | undefined;
    if (typeof media?.url !== 'string') return `${type}.url is required`;
  }
  if (body.client_ref !== undefined && String(body.client_ref).length > 100) {
    return 'client_ref has at most 100 characters';
  }
  return null;
}

export async function startVonage(options: {
  applicationId: string;
  publicKey: string;
}): Promise<VonageStandIn> {
  const requests: VonageRequest[] = [];
  const queued: VonageReply[] = [];

  function answer(request: VonageRequest): VonageReply {
    const isSend = request.method === 'POST' && request.path === '/v1/messages';
    if (isSend && queued.length > 0) return queued.shift()!;
    if (!request.claims || request.claims.application_id !== options.applicationId) {
      return vonageError(401, 'unauthorized', 'You did not provide correct credentials.');
    }
    if (!isSend) return vonageError(404, 'not-found', 'Not found');
    const problem = bodyProblem(request.json);
    if (problem) return vonageError(422, '1020', `Invalid params: ${problem}`);
    return { status: 202, body: { message_uuid: randomUUID() } };
  }

  const { url, close } = await serveLocally((incoming, body) => {
    let json: Record<string, unknown> | null = null;
    try {
      json = body ? JSON.parse(body) : null;
    } catch {
      json = null;
    }
    const token = /^Bearer (.+)$/.exec(incoming.headers.authorization ?? '')?.[1];
    const request: VonageRequest = {
      method: incoming.method ?? '',
      path: new URL(incoming.url ?? '/', 'http://vonage.local').pathname,
      headers: incoming.headers,
      json,
      claims: token ? verifyRs256(token, options.publicKey) : null,
    };
    requests.push(request);
    const reply = answer(request);
    return { status: reply.status, headers: reply.headers, text: JSON.stringify(reply.body) };
  });
  return {
    url,
    requests,
    sends: () => requests.filter((request) => request.path === '/v1/messages'),
    replyNext: (...replies) => queued.push(...replies),
    close,
  };
}

/** How a webhook is signed: validly, with the wrong secret, not at all, or long ago. */
export type VonageSigning = 'valid' | 'forged' | 'missing' | 'stale';

/** The headers and body of a webhook as Vonage signs it ("Signed webhooks"). */
export function signedWebhook(
  payload: unknown,
  signatureSecret: string,
  signing: VonageSigning = 'valid',
  options: { hashOf?: string; now?: Date } = {},
): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signing === 'missing') return { headers, body };
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims = {
    iat: signing === 'stale' ? now - 3600 : now,
    jti: randomUUID(),
    iss: 'Vonage',
    payload_hash: createHash('sha256')
      .update(options.hashOf ?? body)
      .digest('hex'),
    api_key: 'abcd1234',
    application_id: randomUUID(),
  };
  const unsigned = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  const key = signing === 'forged' ? `${signatureSecret}-not` : signatureSecret;
  const signature = createHmac('sha256', key).update(unsigned).digest('base64url');
  headers.authorization = `Bearer ${unsigned}.${signature}`;
  return { headers, body };
}

/**
 * A WhatsApp status webhook of a message sent to `to` (digits, or a business-scoped user ID), as
 * Vonage documents it since usernames ("Handling WhatsApp Usernames and BSUIDs": "Status
 * callbacks for sent, delivered, and read outgoing messages now include a whatsapp.recipient
 * object and a profile object with new fields"). `wa_id` is left out when the user shares no
 * phone.
 */
export function whatsappStatus(message: {
  messageUuid: string;
  clientRef: string;
  to: string;
  status: 'submitted' | 'delivered' | 'read';
  recipient: { userId: string; parentUserId?: string; waId?: string };
  profile?: { name: string; username?: string };
  at?: Date;
}): Record<string, unknown> {
  const { recipient } = message;
  return {
    message_uuid: message.messageUuid,
    to: message.to,
    from: '447700900001',
    timestamp: (message.at ?? new Date()).toISOString(),
    status: message.status,
    client_ref: message.clientRef,
    channel: 'whatsapp',
    ...(message.profile ? { profile: message.profile } : {}),
    usage: { currency: 'EUR', price: '0' },
    whatsapp: {
      pricing: { type: 'regular', pricing_model: 'CBP', category: 'service' },
      recipient: {
        user_id: recipient.userId,
        ...(recipient.parentUserId ? { parent_user_id: recipient.parentUserId } : {}),
        ...(recipient.waId ? { wa_id: recipient.waId } : {}),
      },
      conversation: { id: '1234567890', origin: { type: 'service' } },
    },
  };
}

/**
 * An inbound WhatsApp location webhook from `from` (digits) to the business number, as the
 * Messages API sends one to the Inbound URL (Messages API v1 reference, Webhooks, Inbound
 * Message, WhatsApp: Location): `message_type: "location"` and `location { lat, long, name?,
 * address? }`, the coordinates as numbers, with the sender's `profile { name }`. A test may pass
 * malformed values in `location`.
 */
export function whatsappInboundLocation(message: {
  from: string;
  location: Record<string, unknown>;
  profileName?: string;
  messageUuid?: string;
  at?: Date;
}): Record<string, unknown> {
  return {
    channel: 'whatsapp',
    message_uuid: message.messageUuid ?? randomUUID(),
    to: '447700900001',
    from: message.from,
    timestamp: (message.at ?? new Date()).toISOString(),
    message_type: 'location',
    location: message.location,
    ...(message.profileName ? { profile: { name: message.profileName } } : {}),
  };
}
