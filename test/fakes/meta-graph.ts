import { randomBytes } from 'node:crypto';
import { type JsonReply, type JsonRequest, startJsonServer } from './json-server';

/**
 * A local stand-in for Meta's Graph API as the WhatsApp Cloud API, Messenger and Instagram
 * messaging use it, built from Meta's reference, not from our code:
 *
 * - `POST /<version>/<phone-number-id>/messages` ("Messages"): bearer token required; the body
 *   checked for `messaging_product`, `recipient_type`, `to` (a phone) or else `recipient` (a
 *   business-scoped user ID: "Business-scoped user IDs"; `to` wins when both are present) and
 *   the object of its `type` (text, image, video, audio, document, template: its components and
 *   parameters, and, for a template the stand-in lists, its language, parameter counts and media
 *   header; an AUTHENTICATION template sent to a BSUID is 131062); answers `{ messaging_product,
 *   contacts: [{ input, wa_id }] (or [{ input, user_id }] for a BSUID), messages: [{ id:
 *   'wamid…' }] }`.
 * - `GET /<version>/<phone-number-id>?fields=…` ("Phone numbers"): the number's details.
 * - `GET /<version>/<waba-id>/message_templates` ("Get message templates"): `data[]` paged with
 *   `paging.cursors.after` (and `paging.next` while more remain).
 * - `POST /<version>/<page-id>/messages` (Messenger Platform, Send API reference: "send a POST
 *   request to the /PAGE-ID/messages endpoint"), with that Page's access token (bearer header or
 *   `access_token` query, as Graph accepts both); `me/messages` too, `me` being Graph's alias for
 *   the token's Page (the Instagram "Send a Message" examples call it); another Page's id is
 *   100/33 like any object the token cannot see. `recipient.id` required; `messaging_type`
 *   RESPONSE, UPDATE or MESSAGE_TAG, `tag` only (and always) with MESSAGE_TAG; `message` with
 *   either `text` (up to 2000 characters) or an `attachment` `{ type: image|video|audio|file,
 *   payload: { url } }`; answers `{ recipient_id, message_id }`. Instagram messaging goes
 *   through the same endpoint with the Page linked to the Instagram account (Instagram
 *   Platform, "Messenger API for Instagram", Send API).
 * - `GET /<version>/<page-id>` and `GET /<version>/<instagram-account-id>` with that Page's
 *   token: the Page's `name`, the account's `username`.
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

/** A Facebook Page (and the Instagram account linked to it) the stand-in knows. */
export interface GraphPage {
  pageId: string;
  pageAccessToken: string;
  name: string;
  instagramAccountId?: string;
  instagramUsername?: string;
}

export interface MetaGraphOptions {
  accessToken: string;
  phoneNumberId: string;
  businessAccountId: string;
  version: string;
  templates?: GraphTemplate[];
  pages?: GraphPage[];
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
const MESSAGING_TYPES = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG'];
const MESSAGE_TAGS = [
  'CONFIRMED_EVENT_UPDATE',
  'POST_PURCHASE_UPDATE',
  'ACCOUNT_UPDATE',
  'HUMAN_AGENT',
];
const ATTACHMENT_TYPES = ['image', 'video', 'audio', 'file'];

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

const COMPONENT_TYPES = ['header', 'body', 'button'];
const HEADER_MEDIA_TYPES = ['image', 'video', 'document'];
const PARAMETER_TYPES = ['text', 'currency', 'date_time', 'location', ...HEADER_MEDIA_TYPES];

/**
 * Why a template's `components` break "Template messages": each component has a known `type`
 * and a `parameters` array; each parameter a known `type` and the object of that name; a media
 * parameter (headers only) holds an http(s) `link` or a media `id`, a `filename` only on a
 * document; a button component has `sub_type` and its `index` as a string.
 */
function templateComponentsProblem(components: unknown): string | null {
  if (components === undefined) return null;
  if (!Array.isArray(components)) return 'template.components must be an array';
  for (const component of components as Record<string, unknown>[]) {
    if (!COMPONENT_TYPES.includes(String(component?.type))) {
      return `component type ${String(component?.type)} is not supported`;
    }
    if (!Array.isArray(component.parameters)) return `${component.type}.parameters is required`;
    if (component.type === 'button') {
      if (typeof component.sub_type !== 'string') return 'button.sub_type is required';
      if (typeof component.index !== 'string') return 'button.index must be a string';
    }
    for (const parameter of component.parameters as Record<string, unknown>[]) {
      const kind = String(parameter?.type);
      if (!PARAMETER_TYPES.includes(kind)) return `parameter type ${kind} is not supported`;
      if (kind === 'text') {
        if (typeof parameter.text !== 'string') return 'a text parameter needs its text';
        continue;
      }
      const media = parameter[kind] as Record<string, unknown> | undefined;
      if (!media || typeof media !== 'object') return `the ${kind} parameter object is missing`;
      if (!HEADER_MEDIA_TYPES.includes(kind)) continue;
      if (component.type !== 'header') return `a ${kind} parameter belongs in the header`;
      const hasLink = typeof media.link === 'string' && /^https?:\/\//.test(media.link);
      if (hasLink === (typeof media.id === 'string')) {
        return `${kind} needs either an http(s) link or a media id`;
      }
      if ('filename' in media && kind !== 'document') return `${kind} takes no filename`;
    }
  }
  return null;
}

/** `{{1}}` or `{{name}}` placeholders in a template text, as the approved template counts them. */
function placeholderCount(text: unknown): number {
  return typeof text === 'string' ? new Set(text.match(/\{\{\s*\w+\s*\}\}/g) ?? []).size : 0;
}

/**
 * A template send checked against the approved template it names, when the stand-in lists one
 * (Cloud API error codes: 132001 template does not exist in that language, 132000 parameter
 * count mismatch, 132012 parameter format mismatch, e.g. an IMAGE header without its image).
 */
function templateMismatch(
  object: Record<string, unknown>,
  templates: readonly GraphTemplate[],
): GraphReply | null {
  const named = templates.filter((template) => template.name === object.name);
  if (named.length === 0) return null;
  const code = (object.language as { code?: unknown }).code;
  const template = named.find((candidate) => candidate.language === code);
  if (!template) {
    return graphError(400, 132001, '(#132001) Template name does not exist in the translation', {
      details: `template name (${String(object.name)}) does not exist in ${String(code)}`,
    });
  }
  const sent = (Array.isArray(object.components) ? object.components : []) as {
    type?: string;
    parameters?: { type?: string }[];
  }[];
  const parametersOf = (type: string) => sent.find((c) => c.type === type)?.parameters ?? [];
  const componentOf = (type: string) =>
    template.components.find((c) => String(c.type).toUpperCase() === type);
  const header = componentOf('HEADER');
  const format = String(header?.format ?? 'TEXT').toUpperCase();
  const headerSent = parametersOf('header');
  if (header && HEADER_MEDIA_TYPES.includes(format.toLowerCase())) {
    if (headerSent.length !== 1 || headerSent[0]?.type !== format.toLowerCase()) {
      return graphError(
        400,
        132012,
        '(#132012) Parameter format does not match format in the created template',
        {
          details: `header: Format mismatch, expected ${format}, received ${headerSent[0]?.type ?? 'UNKNOWN'}`,
        },
      );
    }
  } else if (headerSent.length !== placeholderCount(header?.text)) {
    return graphError(
      400,
      132000,
      '(#132000) Number of parameters does not match the expected number of params',
      {
        details: 'header: number of localizable_params does not match the expected number',
      },
    );
  }
  if (parametersOf('body').length !== placeholderCount(componentOf('BODY')?.text)) {
    return graphError(
      400,
      132000,
      '(#132000) Number of parameters does not match the expected number of params',
      {
        details: 'body: number of localizable_params does not match the expected number',
      },
    );
  }
  return null;
}

/**
 * A good send's answer ("Messages" reference, also 360dialog's): the message's id, and
 * `contacts[].input` echoing what was sent to, with `wa_id` for a phone (`to`) and `user_id` for
 * a business-scoped user ID sent to as `recipient` (without `to`). The stand-ins' BSUID users
 * share no phone with them.
 */
export function cloudApiSent(body: Record<string, unknown> | null, messageId: string): GraphReply {
  const to = body?.to === undefined ? null : String(body.to);
  const recipient = String(body?.recipient);
  return {
    status: 200,
    body: {
      messaging_product: 'whatsapp',
      contacts: [
        to === null
          ? { input: recipient, user_id: recipient }
          : { input: to, wa_id: to.replace(/^\+/, '') },
      ],
      messages: [{ id: messageId }],
    },
  };
}

/**
 * A business-scoped user ID ("Business-scoped user IDs"): a two-letter country code, a period,
 * up to 128 alphanumerics (`US.13491208655302741918`); a parent BSUID has `ENT.` after the
 * country code (`US.ENT.11815799212886844830`).
 */
const BSUID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

/** Why a send body breaks the Cloud API "Messages" reference (also 360dialog's), or null when it is well formed. */
export function sendBodyProblem(body: Record<string, unknown> | null): string | null {
  if (!body) return 'the body is not JSON';
  if (body.messaging_product !== 'whatsapp') return 'messaging_product must be whatsapp';
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual') {
    return 'recipient_type must be individual';
  }
  // `to` takes a phone number, `recipient` a business-scoped user ID or parent BSUID; with both,
  // `to` wins ("Business-scoped user IDs", Messages API).
  if (body.to !== undefined || body.recipient === undefined) {
    if (typeof body.to !== 'string' || !/^\+?\d{7,15}$/.test(body.to))
      return 'to is not a phone number';
  } else if (typeof body.recipient !== 'string' || !BSUID.test(body.recipient)) {
    return 'recipient is not a business-scoped user ID';
  }
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
    return templateComponentsProblem(object.components);
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

/** Why a Send API body breaks the Send API reference, or null when it is well formed. */
function sendApiBodyProblem(body: Record<string, unknown> | null): string | null {
  if (!body) return 'the body is not JSON';
  const recipient = body.recipient as Record<string, unknown> | undefined;
  if (typeof recipient?.id !== 'string' || recipient.id === '') return 'recipient.id is required';
  const type = body.messaging_type;
  if (type !== undefined && !MESSAGING_TYPES.includes(String(type))) {
    return `messaging_type ${String(type)} is not supported`;
  }
  if (type === 'MESSAGE_TAG' && !MESSAGE_TAGS.includes(String(body.tag))) {
    return 'a MESSAGE_TAG message needs a supported tag';
  }
  if (type !== 'MESSAGE_TAG' && body.tag !== undefined)
    return 'tag needs messaging_type MESSAGE_TAG';
  const message = body.message as Record<string, unknown> | undefined;
  if (!message || typeof message !== 'object') return 'message is required';
  if ((message.text === undefined) === (message.attachment === undefined)) {
    return 'message must have either text or attachment';
  }
  if (message.text !== undefined) {
    if (typeof message.text !== 'string' || message.text.length === 0) return 'text is empty';
    if (message.text.length > 2000) return 'text has more than 2000 characters';
    return null;
  }
  const attachment = message.attachment as Record<string, unknown>;
  const payload = attachment?.payload as Record<string, unknown> | undefined;
  if (!ATTACHMENT_TYPES.includes(String(attachment?.type))) return 'attachment.type is invalid';
  if (typeof payload?.url !== 'string' || !/^https?:\/\//.test(payload.url)) {
    return 'attachment.payload.url must be an http(s) URL';
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

/** The id `/me` answers for the WhatsApp system user's token. */
export const SYSTEM_USER_ID = '61550000000000001';

/** Starts the stand-in on 127.0.0.1 and a free port. */
export async function startMetaGraph(options: MetaGraphOptions): Promise<MetaGraph> {
  const queued: GraphReply[] = [];
  const templates = options.templates ?? [];
  const pages = options.pages ?? [];
  let messageCount = 0;
  let baseUrl = '';

  /** What a Page's token may do: send as the Page, read the Page and its Instagram account. */
  function answerForPage(request: GraphRequest, parts: string[], page: GraphPage): GraphReply {
    const sendsAsPage =
      parts.length === 2 && parts[1] === 'messages' && [page.pageId, 'me'].includes(parts[0]!);
    if (request.method === 'POST' && sendsAsPage) {
      const problem = sendApiBodyProblem(request.json);
      if (problem) return invalidParameter(problem);
      messageCount += 1;
      return {
        status: 200,
        body: {
          recipient_id: (request.json?.recipient as { id?: string } | undefined)?.id,
          message_id: `m_${messageCount}${randomBytes(9).toString('base64url')}`,
        },
      };
    }
    // `/me` is the node of the token's owner (Graph API, Overview, "/me"): for a Page access
    // token, the Page.
    if (request.method === 'GET' && parts.length === 1 && [page.pageId, 'me'].includes(parts[0]!)) {
      return { status: 200, body: { name: page.name, id: page.pageId } };
    }
    if (request.method === 'GET' && parts.length === 1 && parts[0] === page.instagramAccountId) {
      return {
        status: 200,
        body: { username: page.instagramUsername, id: page.instagramAccountId },
      };
    }
    return objectMissing(parts.join('/'));
  }

  function answer(request: GraphRequest): GraphReply {
    const prefix = `/${options.version}/`;
    if (!request.path.startsWith(prefix)) {
      return graphError(400, 2635, `(#2635) Unknown API version in ${request.path}`);
    }
    const parts = request.path.slice(prefix.length).split('/');
    const isSend = request.method === 'POST' && parts.length === 2 && parts[1] === 'messages';
    if (isSend && queued.length > 0) return queued.shift()!;
    const token =
      request.headers.authorization?.replace(/^Bearer /, '') ?? request.query.get('access_token');
    const page = pages.find((candidate) => candidate.pageAccessToken === token);
    if (token !== options.accessToken && !page) {
      return graphError(401, 190, 'Error validating access token: the session is invalid.', {
        subcode: 460,
      });
    }
    if (page) return answerForPage(request, parts, page);
    if (isSend) {
      if (parts[0] !== options.phoneNumberId) return objectMissing(parts[0] ?? '');
      const problem = sendBodyProblem(request.json);
      if (problem) return invalidParameter(problem);
      const to = request.json?.to === undefined ? null : String(request.json.to);
      if (request.json?.type === 'template') {
        const object = request.json.template as Record<string, unknown>;
        const mismatch = templateMismatch(object, templates);
        if (mismatch) return mismatch;
        // Authentication templates still need a phone number ("Business-scoped user IDs").
        const category = templates.find((t) => t.name === object.name)?.category;
        if (to === null && category?.toUpperCase() === 'AUTHENTICATION') {
          return graphError(
            400,
            131062,
            '(#131062) Business-scoped User ID recipients are not supported for this message',
          );
        }
      }
      messageCount += 1;
      return cloudApiSent(request.json, `wamid.${messageCount}.${randomBytes(6).toString('hex')}`);
    }
    if (request.method === 'GET' && parts.length === 1 && parts[0] === 'me') {
      // The system user the WhatsApp token belongs to ("/me": the token's owner).
      return { status: 200, body: { id: SYSTEM_USER_ID, name: 'Sendflow System User' } };
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
