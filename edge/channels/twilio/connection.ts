import type { ChannelTemplate } from '../../../workflow/channel-templates';
import { readChannel } from '../channel-config';
import {
  type ChannelConnection,
  type ConnectionContext,
  MAX_LISTED_TEMPLATES,
  type TemplatesResult,
} from '../connection';
import type { ChannelDefinition } from '../definition';
import { callProvider, isSuccess } from '../http/classify';
import type { ChannelRecord } from '../types';
import { TWILIO_API, twilioAccountUrl, twilioAuthorization, twilioContentUrl } from './api';
import type { TWILIO_CREDENTIALS, TWILIO_SETTINGS, TwilioNetwork } from './definition';
import { classifyTwilioAnswer } from './failures';

type Definition = ChannelDefinition<typeof TWILIO_SETTINGS, typeof TWILIO_CREDENTIALS>;

/** Templates asked for per Content API page (`PageSize`). */
const TEMPLATES_PER_PAGE = 100;
/** Pages read at most: MAX_LISTED_TEMPLATES templates. */
const MAX_TEMPLATE_PAGES = Math.ceil(MAX_LISTED_TEMPLATES / TEMPLATES_PER_PAGE);

type Json = Record<string, unknown>;

/**
 * A Content API template with its WhatsApp approval (Twilio Docs, Content API,
 * "ContentAndApprovals resource": `sid` HX…, `language`, `variables` {"1": sample…},
 * `approval_requests` { name, category, status }). A step names it by its SID, so the SID is
 * the template's name here.
 */
function contentTemplate(raw: Json): ChannelTemplate | null {
  if (typeof raw.sid !== 'string' || typeof raw.language !== 'string') return null;
  const approval = (raw.approval_requests ?? {}) as Json;
  const variables = raw.variables && typeof raw.variables === 'object' ? raw.variables : {};
  return {
    name: raw.sid,
    language: raw.language,
    // Not submitted to WhatsApp yet: it cannot be sent as a template.
    status: typeof approval.status === 'string' ? approval.status.toUpperCase() : 'UNSUBMITTED',
    category: typeof approval.category === 'string' ? approval.category.toUpperCase() : null,
    bodyParameters: Object.keys(variables).length,
    otherParameters: 0,
  };
}

/** The account's WhatsApp templates: `GET content.twilio.com/v1/ContentAndApprovals`, paged. */
function listContentTemplates(definition: Definition) {
  return async function listTemplates(
    channel: ChannelRecord,
    context: ConnectionContext,
  ): Promise<TemplatesResult> {
    const read = readChannel(definition, channel, { allowPrivateUrls: context.allowPrivateUrls });
    if (!read.ok) return { ok: false, problem: read.detail };
    const accountSid = read.credentials?.accountSid ?? '';
    const headers = {
      authorization: twilioAuthorization(accountSid, read.credentials?.authToken ?? ''),
      accept: 'application/json',
    };
    const templates: ChannelTemplate[] = [];
    let pageToken: string | null = null;
    for (let page = 0; page < MAX_TEMPLATE_PAGES; page++) {
      const query = new URLSearchParams({
        PageSize: String(TEMPLATES_PER_PAGE),
        ...(pageToken ? { PageToken: pageToken } : {}),
      });
      const call = await callProvider(
        `${twilioContentUrl(context.endpoints, 'v1/ContentAndApprovals')}?${query}`,
        { method: 'GET', headers },
        { who: TWILIO_API, timeoutMs: context.timeoutMs },
      );
      if (!call.ok) {
        return { ok: false, problem: call.outcome.status === 'failed' ? call.outcome.detail : '' };
      }
      if (!isSuccess(call.answer)) {
        const outcome = classifyTwilioAnswer(call.answer, context.now?.() ?? new Date());
        return { ok: false, problem: outcome.status === 'failed' ? outcome.detail : '' };
      }
      let body: Json;
      try {
        body = JSON.parse(call.answer.body) as Json;
      } catch {
        return { ok: false, problem: `${TWILIO_API} answered with something that is not JSON` };
      }
      for (const raw of Array.isArray(body.contents) ? (body.contents as Json[]) : []) {
        const template = raw && typeof raw === 'object' ? contentTemplate(raw) : null;
        if (template) templates.push(template);
      }
      // Follow the page token, not `next_page_url`: a full URL we would not want to trust.
      const next = ((body.meta ?? {}) as Json).next_page_url;
      if (next === null || next === undefined) return { ok: true, templates };
      pageToken =
        typeof next === 'string' && URL.canParse(next)
          ? new URL(next).searchParams.get('PageToken')
          : null;
      if (!pageToken) {
        return { ok: false, problem: `${TWILIO_API} answered a next page without a page token` };
      }
    }
    // A next page remains after the last one read.
    return { ok: true, templates: templates.slice(0, MAX_LISTED_TEMPLATES), truncated: true };
  };
}

/**
 * Verifying reads the account (`GET /2010-04-01/Accounts/{AccountSid}.json`, Twilio Docs,
 * "Account resource"): it proves the SID and auth token without sending anything.
 */
export function twilioConnection(
  network: TwilioNetwork,
  definition: Definition,
): ChannelConnection {
  return {
    // WhatsApp templates are Content API templates approved for WhatsApp; SMS has none.
    ...(network === 'whatsapp' ? { listTemplates: listContentTemplates(definition) } : {}),
    async verify(channel, context) {
      const read = readChannel(definition, channel, { allowPrivateUrls: context.allowPrivateUrls });
      if (!read.ok) return { verdict: 'rejected', problem: read.detail };
      const accountSid = read.credentials?.accountSid ?? '';
      const call = await callProvider(
        twilioAccountUrl(context.endpoints, accountSid),
        {
          method: 'GET',
          headers: {
            authorization: twilioAuthorization(accountSid, read.credentials?.authToken ?? ''),
            accept: 'application/json',
          },
        },
        { who: TWILIO_API, timeoutMs: context.timeoutMs },
      );
      if (!call.ok) {
        const problem = call.outcome.status === 'failed' ? call.outcome.detail : '';
        return { verdict: 'unreachable', problem };
      }
      if (!isSuccess(call.answer)) {
        const outcome = classifyTwilioAnswer(call.answer, context.now?.() ?? new Date());
        if (outcome.status !== 'failed')
          return { verdict: 'rejected', problem: 'unexpected answer' };
        return { verdict: outcome.retryable ? 'unreachable' : 'rejected', problem: outcome.detail };
      }
      let account: { friendly_name?: unknown; status?: unknown } = {};
      try {
        account = JSON.parse(call.answer.body) as typeof account;
      } catch {
        // A 2xx proves the credentials even if the body is odd.
      }
      if (account.status !== undefined && account.status !== 'active') {
        return { verdict: 'rejected', problem: `the Twilio account is ${String(account.status)}` };
      }
      const name = typeof account.friendly_name === 'string' ? account.friendly_name : accountSid;
      return { verdict: 'verified', detail: `Twilio account ${name}` };
    },
  };
}
