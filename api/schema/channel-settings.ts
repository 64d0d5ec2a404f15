import type { ChannelType } from '../../workflow/channel-types';
import { builder } from '../builder';
import type { ChannelSettingsByType } from '../channel-config';
import type { IssueList } from '../validation';

/**
 * GraphQL shapes of each channel type's settings (readable) and credentials (write-only).
 * Inputs have one member per channel type; the member matching the channel's type applies.
 */

export const SmtpSecurityEnum = builder.enumType('SmtpSecurity', {
  description:
    'NONE: plain SMTP; STARTTLS: upgrade after connecting (587); TLS: implicit TLS (465).',
  values: {
    NONE: { value: 'none' },
    STARTTLS: { value: 'starttls' },
    TLS: { value: 'tls' },
  } as const,
});

type Tagged<T extends ChannelType> = ChannelSettingsByType[T] & { channelType: T };
/** Settings as stored, tagged with the channel type so that the union can tell them apart. */
export type TaggedSettings = { [T in Exclude<ChannelType, 'telegram'>]: Tagged<T> }[Exclude<
  ChannelType,
  'telegram'
>];

const EmailSettings = builder.objectRef<Tagged<'email'>>('EmailChannelSettings').implement({
  fields: (t) => ({
    host: t.exposeString('host'),
    port: t.exposeInt('port'),
    security: t.field({ type: SmtpSecurityEnum, resolve: (s) => s.security }),
    fromAddress: t.exposeString('fromAddress'),
    fromName: t.exposeString('fromName', { nullable: true }),
  }),
});
const WhatsAppSettings = builder
  .objectRef<Tagged<'whatsapp'>>('WhatsAppChannelSettings')
  .implement({ fields: (t) => ({ phoneNumberId: t.exposeString('phoneNumberId') }) });
const MessengerSettings = builder
  .objectRef<Tagged<'messenger'>>('MessengerChannelSettings')
  .implement({ fields: (t) => ({ pageId: t.exposeString('pageId') }) });
const SmsSettings = builder
  .objectRef<Tagged<'sms'>>('SmsChannelSettings')
  .implement({ fields: (t) => ({ fromNumber: t.exposeString('fromNumber') }) });
const CustomSettings = builder
  .objectRef<Tagged<'custom'>>('CustomChannelSettings')
  .implement({ fields: (t) => ({ url: t.exposeString('url') }) });

const SETTINGS_TYPES = {
  email: EmailSettings,
  whatsapp: WhatsAppSettings,
  messenger: MessengerSettings,
  sms: SmsSettings,
  custom: CustomSettings,
} as const;

export const ChannelSettingsUnion = builder.unionType('ChannelSettings', {
  description: "A channel's non-secret settings; Telegram channels have none (null).",
  types: Object.values(SETTINGS_TYPES),
  resolveType: (settings: TaggedSettings) => SETTINGS_TYPES[settings.channelType],
});

const EmailSettingsInput = builder.inputType('EmailChannelSettingsInput', {
  fields: (t) => ({
    host: t.string({ required: true }),
    port: t.int({ required: true }),
    security: t.field({ type: SmtpSecurityEnum, required: true }),
    fromAddress: t.string({ required: true }),
    fromName: t.string(),
  }),
});

export const ChannelSettingsInput = builder.inputType('ChannelSettingsInput', {
  description: "Give the member for the channel's type only.",
  fields: (t) => ({
    email: t.field({ type: EmailSettingsInput }),
    whatsapp: t.field({
      type: builder.inputType('WhatsAppChannelSettingsInput', {
        fields: (f) => ({ phoneNumberId: f.string({ required: true }) }),
      }),
    }),
    messenger: t.field({
      type: builder.inputType('MessengerChannelSettingsInput', {
        fields: (f) => ({ pageId: f.string({ required: true }) }),
      }),
    }),
    sms: t.field({
      type: builder.inputType('SmsChannelSettingsInput', {
        fields: (f) => ({ fromNumber: f.string({ required: true, description: 'E.164' }) }),
      }),
    }),
    custom: t.field({
      type: builder.inputType('CustomChannelSettingsInput', {
        fields: (f) => ({ url: f.string({ required: true, description: 'http(s) endpoint' }) }),
      }),
    }),
  }),
});

export const ChannelCredentialsInput = builder.inputType('ChannelCredentialsInput', {
  description:
    "Secrets for the channel's type (give that member only). Stored encrypted; never returned.",
  fields: (t) => ({
    email: t.field({
      type: builder.inputType('SmtpCredentialsInput', {
        fields: (f) => ({
          username: f.string({ required: true }),
          password: f.string({ required: true }),
        }),
      }),
    }),
    whatsapp: t.field({
      type: builder.inputType('WhatsAppCredentialsInput', {
        fields: (f) => ({ accessToken: f.string({ required: true }) }),
      }),
    }),
    messenger: t.field({
      type: builder.inputType('MessengerCredentialsInput', {
        fields: (f) => ({ pageAccessToken: f.string({ required: true }) }),
      }),
    }),
    telegram: t.field({
      type: builder.inputType('TelegramCredentialsInput', {
        fields: (f) => ({ botToken: f.string({ required: true }) }),
      }),
    }),
    sms: t.field({
      type: builder.inputType('SmsCredentialsInput', {
        fields: (f) => ({
          accountSid: f.string({ required: true }),
          authToken: f.string({ required: true }),
        }),
      }),
    }),
    custom: t.field({
      type: builder.inputType('CustomChannelCredentialsInput', {
        fields: (f) => ({
          signingSecret: f.string({
            required: true,
            description: 'Secret for Standard Webhooks signatures on outgoing requests.',
          }),
        }),
      }),
    }),
  }),
});

/**
 * Picks the member of a per-type input that applies to `type`, recording an issue for members
 * given for other types (a likely client mistake that would otherwise be silently dropped).
 */
export function memberFor(
  type: ChannelType,
  input: Record<string, unknown> | null | undefined,
  path: string,
  issues: IssueList,
): Record<string, unknown> | null {
  if (!input) return null;
  for (const [key, value] of Object.entries(input)) {
    if (key !== type && value != null) {
      issues.add('INVALID_VALUE', `${path}.${key}`, `Does not apply to a ${type} channel`);
    }
  }
  const member = input[type];
  return member && typeof member === 'object' ? (member as Record<string, unknown>) : null;
}
