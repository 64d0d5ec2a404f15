import type { channels } from '../../db/schema';
import { callbackUrl } from '../../edge/channels/callbacks';
import type { ChannelIntegration } from '../../edge/channels/integration';
import type { ChannelTemplate } from '../../workflow/channel-templates';
import { builder } from '../builder';
import type { ApiContext } from '../context';
import { TemplateMediaFormatEnum } from './message-content';

/** Where a provider sends a channel's webhooks, as the API shows it. */
export interface ChannelCallback {
  url: string;
  verifyToken: string | null;
}

/** The callback of a channel whose provider sends webhooks; null otherwise. */
export function callbackOf(
  ctx: ApiContext,
  integration: ChannelIntegration | undefined,
  channel: Pick<typeof channels.$inferSelect, 'id' | 'callbackToken'>,
): ChannelCallback | null {
  if (!integration?.callbacks) return null;
  const { provider } = integration.definition;
  return {
    url: callbackUrl(ctx.publicOrigin, provider, channel.id),
    verifyToken: channel.callbackToken,
  };
}

export const ChannelCallbackRef = builder.objectRef<ChannelCallback>('ChannelCallback').implement({
  description:
    'Configure these at the provider (Meta: App Dashboard → WhatsApp → Configuration → Webhook).',
  fields: (t) => ({
    url: t.exposeString('url', { description: 'The callback URL.' }),
    verifyToken: t.string({
      nullable: true,
      description:
        'What the provider must present in its subscription handshake (null for read-only keys: for some providers it is what authenticates their callbacks).',
      // Telegram's `secret_token` and 360dialog's header token are the only proof a callback
      // came from the provider: a key that may only read must not be able to write inbound
      // messages or statuses into the workspace by presenting them.
      resolve: (callback, _args, ctx) => (ctx.scopes.has('admin') ? callback.verifyToken : null),
    }),
  }),
});

export const ChannelTemplateRef = builder.objectRef<ChannelTemplate>('ChannelTemplate').implement({
  description: 'A message template of the provider account, as last listed.',
  fields: (t) => ({
    name: t.exposeString('name'),
    language: t.exposeString('language'),
    status: t.exposeString('status', { description: 'APPROVED templates can be sent.' }),
    category: t.exposeString('category', { nullable: true }),
    bodyParameters: t.exposeInt('bodyParameters', {
      description: 'How many parameters a step must give ({{1}}, {{2}}…).',
    }),
    headerParameters: t.int({
      description: "How many header parameters a step must give (a text header's {{1}}).",
      resolve: (template) => template.headerParameters ?? 0,
    }),
    urlButtons: t.intList({
      description: 'Positions of the dynamic URL buttons a step must complete (buttonParameters).',
      resolve: (template) => template.urlButtons ?? [],
    }),
    mediaHeader: t.boolean({
      description: 'The template has a media header (IMAGE, VIDEO, DOCUMENT or LOCATION).',
      resolve: (template) => template.headerFormat !== undefined || template.otherParameters > 0,
    }),
    headerFormat: t.field({
      type: TemplateMediaFormatEnum,
      nullable: true,
      description: 'The format of its media header, which a step fills with `headerMedia`.',
      resolve: (template) => template.headerFormat ?? null,
    }),
  }),
});
