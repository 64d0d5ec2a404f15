import type { ChannelTemplate } from '../../../workflow/channel-templates';
import { TEMPLATE_MEDIA_FORMATS, type TemplateMediaFormat } from '../../../workflow/types';
import { readChannel } from '../channel-config';
import {
  type ChannelConnection,
  type ConnectionContext,
  MAX_LISTED_TEMPLATES,
  type TemplatesResult,
} from '../connection';
import { callProvider, isSuccess } from '../http/classify';
import { graphHeaders, graphUrl } from '../meta/graph';
import { classifyGraphAnswer } from '../meta/graph-errors';
import { verifyGraphObject } from '../meta/verify-object';
import type { ChannelRecord } from '../types';
import { WHATSAPP_API } from './adapter';
import { whatsappMetaDefinition } from './definition';
import { WHATSAPP_FAILURES } from './failures';

/** Templates asked for per page ("Get message templates": `limit`). */
const TEMPLATES_PER_PAGE = 100;
/** Pages read at most: MAX_LISTED_TEMPLATES templates. */
const MAX_TEMPLATE_PAGES = Math.ceil(MAX_LISTED_TEMPLATES / TEMPLATES_PER_PAGE);

type Json = Record<string, unknown>;

/** `{{1}}` or `{{customer_name}}` placeholders in a template text. */
function placeholders(text: unknown): number {
  if (typeof text !== 'string') return 0;
  return new Set(text.match(/\{\{\s*[A-Za-z0-9_]+\s*\}\}/g) ?? []).size;
}

/**
 * A template as the Graph lists it (WhatsApp Cloud API, Templates, "Get message templates":
 * `name`, `language`, `status`, `category`, `components[]` with `type` BODY/HEADER/BUTTONS).
 */
export function templateSummary(raw: Json): ChannelTemplate | null {
  if (typeof raw.name !== 'string' || typeof raw.language !== 'string') return null;
  let bodyParameters = 0;
  let headerParameters = 0;
  let otherParameters = 0;
  let headerFormat: TemplateMediaFormat | undefined;
  const urlButtons: number[] = [];
  for (const component of Array.isArray(raw.components) ? (raw.components as Json[]) : []) {
    const type = String(component?.type ?? '').toUpperCase();
    if (type === 'BODY') bodyParameters += placeholders(component.text);
    if (type === 'HEADER') {
      const format = String(component.format ?? 'TEXT').toUpperCase();
      // A media header takes its media as a parameter at send time (a step's headerMedia); a
      // LOCATION header takes coordinates, which steps cannot give.
      if (format === 'TEXT') headerParameters += placeholders(component.text);
      else if (TEMPLATE_MEDIA_FORMATS.includes(format as TemplateMediaFormat)) {
        headerFormat = format as TemplateMediaFormat;
      } else otherParameters += 1;
    }
    if (type === 'BUTTONS' && Array.isArray(component.buttons)) {
      // A URL button may end in one placeholder ("Templates": URL buttons, dynamic suffix).
      (component.buttons as Json[]).forEach((button, index) => {
        if (String(button?.type ?? '').toUpperCase() === 'URL' && placeholders(button?.url) > 0) {
          urlButtons.push(index);
        }
      });
    }
  }
  return {
    name: raw.name,
    language: raw.language,
    status: typeof raw.status === 'string' ? raw.status.toUpperCase() : 'UNKNOWN',
    category: typeof raw.category === 'string' ? raw.category : null,
    bodyParameters,
    headerParameters,
    urlButtons,
    ...(headerFormat ? { headerFormat } : {}),
    otherParameters,
  };
}

function problemOf(answer: Parameters<typeof classifyGraphAnswer>[0], context: ConnectionContext) {
  const outcome = classifyGraphAnswer(
    answer,
    WHATSAPP_FAILURES,
    WHATSAPP_API,
    context.now?.() ?? new Date(),
  );
  return outcome.status === 'failed'
    ? { transient: outcome.retryable, problem: outcome.detail }
    : { transient: false, problem: 'unexpected answer' };
}

async function listTemplates(
  channel: ChannelRecord,
  context: ConnectionContext,
): Promise<TemplatesResult> {
  const read = readChannel(whatsappMetaDefinition, channel, {
    allowPrivateUrls: context.allowPrivateUrls,
  });
  if (!read.ok) return { ok: false, problem: read.detail };
  const templates: ChannelTemplate[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_TEMPLATE_PAGES; page++) {
    const query = new URLSearchParams({
      fields: 'name,language,status,category,components',
      limit: String(TEMPLATES_PER_PAGE),
      ...(after ? { after } : {}),
    });
    const call = await callProvider(
      `${graphUrl(context.endpoints, `${read.settings.businessAccountId}/message_templates`)}?${query}`,
      { method: 'GET', headers: graphHeaders(read.credentials?.accessToken ?? '') },
      { who: WHATSAPP_API, timeoutMs: context.timeoutMs },
    );
    if (!call.ok) {
      return { ok: false, problem: call.outcome.status === 'failed' ? call.outcome.detail : '' };
    }
    if (!isSuccess(call.answer))
      return { ok: false, problem: problemOf(call.answer, context).problem };
    let body: Json;
    try {
      body = JSON.parse(call.answer.body) as Json;
    } catch {
      return { ok: false, problem: `${WHATSAPP_API} answered with something that is not JSON` };
    }
    for (const raw of Array.isArray(body.data) ? (body.data as Json[]) : []) {
      const template = templateSummary(raw ?? {});
      if (template) templates.push(template);
    }
    // Follow the cursor, not `paging.next`: that is a full URL we would not want to trust.
    const paging = (body.paging ?? {}) as { next?: unknown; cursors?: { after?: unknown } };
    after = paging.next && typeof paging.cursors?.after === 'string' ? paging.cursors.after : null;
    if (!after) return { ok: true, templates };
  }
  // Pages remain after the last one read (Graph cursor paging: `paging.next` is there while
  // more remain).
  return { ok: true, templates: templates.slice(0, MAX_LISTED_TEMPLATES), truncated: true };
}

/**
 * Verifying reads the business phone number (`GET /<phone-number-id>?fields=display_phone_number,
 * verified_name`, WhatsApp Cloud API, "Phone numbers"): it proves the token can see the number
 * without sending anything.
 */
export const whatsappMetaConnection: ChannelConnection = {
  async verify(channel, context) {
    const read = readChannel(whatsappMetaDefinition, channel, {
      allowPrivateUrls: context.allowPrivateUrls,
    });
    if (!read.ok) return { verdict: 'rejected', problem: read.detail };
    return verifyGraphObject(
      {
        objectId: read.settings.phoneNumberId,
        accessToken: read.credentials?.accessToken ?? '',
        fields: ['display_phone_number', 'verified_name'],
      },
      context,
      { table: WHATSAPP_FAILURES, who: WHATSAPP_API },
      (number) => {
        const name =
          typeof number.verified_name === 'string' ? number.verified_name : 'WhatsApp number';
        const phone =
          typeof number.display_phone_number === 'string'
            ? ` (${number.display_phone_number})`
            : '';
        return `${name}${phone}`;
      },
    );
  },
  listTemplates,
};
