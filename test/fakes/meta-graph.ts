import { randomBytes } from 'node:crypto';
import { type JsonReply, type JsonRequest, startJsonServer } from './json-server';

/**
 * A local stand-in for Meta's Graph API as the WhatsApp Cloud API uses it, built from Meta's
 * reference, not from our code:
 *
 * - `POST /<version>/<phone-number-id>/messages` ("Messages"): bearer token required; the body
 *   checked for `messaging_product`, `recipient_type`, `to` and the object of its `type`
 *   (text, image, video, audio, document, template); answers `{ messaging_product, contacts:
 *   [{ input, wa_id }], messages: [{ id: 'wamid…' }] }`.
 * - `GET /<version>/<phone-number-id>?fields=…` ("Phone numbers"): the number's details.
 * - `GET /<version>/<waba-id>/message_templates` ("Get message templates"): `data[]` paged with
 *   `paging.cursors.after` (and `paging.next` while more remain).
 * - Errors in the Graph format ("Handling Errors"): `{ error: { message, type, code,
 *   error_subcode, error_data: { messaging_product, details }, fbtrace_id } }`; an unknown or
 *   missing token is 401 with code 190, an unknown object 400 with code 100, subcode 33.
 *
 * Meta's side of webhooks (signed payloads) is in meta-webhooks.ts.
 */

/** A request as the stand-in received it (test/fakes/json-server.ts records them). */
export type GraphRequest = JsonRequest;
export type GraphReply = JsonReply;

/** A template as the Graph lists it. */
export interface GraphTemplate {
  name: string;
  language: string;
  status: string;
  category: string;
  components: Record<string, unknown>[];
}

export interface MetaGraphOptions {
  accessToken: string;
  phoneNumberId: string;
  businessAccountId: string;
  version: string;
  templates?: GraphTemplate[];
}

export interface MetaGraph {
  url: string;
  requests: GraphRequest[];
  /** The message send requests received, in order. */
  sends(): GraphRequest[];
  /** Answers the next message sends with `reply` (once per call queued), before any checks. */
  replyNext(...replies: GraphReply[]): void;
  templates: GraphTemplate[];
  close(): Promise<void>;
}

const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'document', 'template'] as const;

/** A Graph error answer ("Handling Errors"). */
export function graphError(
  status: number,
  code: number,
  message: string,
  extra: { subcode?: number; details?: string; type?: string } = {},
): GraphReply {
  return {
    status,
    body: {
      error: {
        message,
        type: extra.type ?? 'OAuthException',
        code,
        ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
        error_data: { messaging_product: 'whatsapp', details: extra.details ?? message },
        fbtrace_id: `A${randomBytes(8).toString('hex')}`,
      },
    },
  };
}

function invalidParameter(details: string): GraphReply {
  return graphError(400, 100, '(#100) Invalid parameter', { details });
}

function objectMissing(id: string): GraphReply {
  return graphError(400, 100, `Unsupported request. Object with ID '${id}' does not exist`, {
    subcode: 33,
    type: 'GraphMethodException',
  });
}

/** Why a send body breaks the "Messages" reference, or null when it is well formed. */
function sendBodyProblem(body: Record<string, unknown> | null): string | null {
  if (!body) return 'the body is not JSON';
  if (body.messaging_product !== 'whatsapp') return 'messaging_product must be whatsapp';
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual') {
    return 'recipient_type must be individual';
  }
  if (typeof body.to !== 'string' || !/^\+?\d{7,15}$/.test(body.to))
    return 'to is not a phone number';
  const type = body.type as (typeof MESSAGE_TYPES)[number];
  if (!MESSAGE_TYPES.includes(type)) return `type ${String(body.type)} is not supported`;
  const object = body[type] as Record<string, unknown> | undefined;
  if (!object || typeof object !== 'object') return `the ${type} object is missing`;
  if (type === 'text') {
    if (typeof object.body !== 'string' || object.body.length === 0 || object.body.length > 4096) {
      return 'text.body must have 1 to 4096 characters';
    }
  } else if (type === 'template') {
    const language = object.language as Record<string, unknown> | undefined;
    if (typeof object.name !== 'string' || typeof language?.code !== 'string') {
      return 'template.name and template.language.code are required';
    }
  } else {
    if (typeof object.link !== 'string' || !/^https?:\/\//.test(object.link)) {
      return `${type}.link must be an http(s) URL`;
    }
    if (type === 'audio' && 'caption' in object) return 'audio messages take no caption';
    if (typeof object.caption === 'string' && object.caption.length > 1024) {
      return 'caption has more than 1024 characters';
    }
  }
  return null;
}

function templatePage(
  templates: GraphTemplate[],
  query: URLSearchParams,
  base: string,
): GraphReply {
  const limit = Math.max(1, Number(query.get('limit') ?? 25));
  const start = query.get('after') ? Number(Buffer.from(query.get('after')!, 'base64url')) : 0;
  const page = templates.slice(start, start + limit);
  const end = start + page.length;
  const after = Buffer.from(String(end)).toString('base64url');
  return {
    status: 200,
    body: {
      data: page.map((template, index) => ({ ...template, id: String(9000 + start + index) })),
      paging: {
        cursors: { before: Buffer.from(String(start)).toString('base64url'), after },
        ...(end < templates.length
          ? { next: `${base}?${new URLSearchParams({ ...Object.fromEntries(query), after })}` }
          : {}),
      },
    },
  };
}

/** Starts the stand-in on 127.0.0.1 and a free port. */
export async function startMetaGraph(options: MetaGraphOptions): Promise<MetaGraph> {
  const queued: GraphReply[] = [];
  const templates = options.templates ?? [];
  let messageCount = 0;
  let baseUrl = '';

  function answer(request: GraphRequest): GraphReply {
    const prefix = `/${options.version}/`;
    if (!request.path.startsWith(prefix)) {
      return graphError(400, 2635, `(#2635) Unknown API version in ${request.path}`);
    }
    const parts = request.path.slice(prefix.length).split('/');
    const isSend = request.method === 'POST' && parts.length === 2 && parts[1] === 'messages';
    if (isSend && queued.length > 0) return queued.shift()!;
    if (request.headers.authorization !== `Bearer ${options.accessToken}`) {
      return graphError(401, 190, 'Error validating access token: the session is invalid.', {
        subcode: 460,
      });
    }
    if (isSend) {
      if (parts[0] !== options.phoneNumberId) return objectMissing(parts[0] ?? '');
      const problem = sendBodyProblem(request.json);
      if (problem) return invalidParameter(problem);
      const to = String(request.json?.to);
      messageCount += 1;
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: to, wa_id: to.replace(/^\+/, '') }],
          messages: [{ id: `wamid.${messageCount}.${randomBytes(6).toString('hex')}` }],
        },
      };
    }
    if (request.method === 'GET' && parts.length === 1) {
      if (parts[0] !== options.phoneNumberId) return objectMissing(parts[0] ?? '');
      return {
        status: 200,
        body: {
          verified_name: 'Sendflow Test',
          display_phone_number: '+1 555-010-0000',
          quality_rating: 'GREEN',
          id: options.phoneNumberId,
        },
      };
    }
    if (request.method === 'GET' && parts.length === 2 && parts[1] === 'message_templates') {
      if (parts[0] !== options.businessAccountId) return objectMissing(parts[0] ?? '');
      return templatePage(templates, request.query, `${baseUrl}${request.path}`);
    }
    return objectMissing(parts.join('/'));
  }

  const server = await startJsonServer({
    answer: (request) => answer(request),
  });
  baseUrl = server.url;
  return {
    url: baseUrl,
    requests: server.requests,
    templates,
    sends: () =>
      server.requests.filter(
        (request) => request.method === 'POST' && request.path.endsWith('/messages'),
      ),
    replyNext: (...replies) => queued.push(...replies),
    close: () => server.close(),
  };
}
