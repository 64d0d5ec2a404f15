import type { ChannelCapability } from '../../workflow/channel-capabilities';
import type { ChannelType } from '../../workflow/channel-types';
import type { CaptionLimit, MediaLimits } from '../../workflow/media-limits';
import type { SendRate } from '../../workflow/send-rate';
import type { ValidationCode } from '../../workflow/validation-issue';

export type { CaptionLimit, MediaLimit, MediaLimits } from '../../workflow/media-limits';

/**
 * What a channel integration is, as data: the network it reaches (`type`), the provider API it
 * reaches it through (`provider`), what it can send, its media limits, whether the provider
 * reports delivery, and the ONE parser of its settings and credentials that the API runs when
 * a channel is saved and the adapter runs before every send. Nothing here needs workerd, so
 * api/ reads definitions too (through edge/channels/registry.ts).
 */

/** Where a parser reports problems: the API's IssueList, or a collector the adapter reads. */
export interface IssueSink {
  add(code: ValidationCode, path: string, message: string): void;
}

/** Deployment rules a parser applies. */
export interface ParseOptions {
  /** Local development lets channels point at loopback and private addresses. */
  allowPrivateUrls: boolean;
}

/** Where one field sits, for the issues its parser reports. */
export interface FieldContext {
  issues: IssueSink;
  /** The dotted path of the field in the caller's input, e.g. `settings.email.host`. */
  path: string;
  /** The field's name, e.g. `host`. */
  key: string;
  options: ParseOptions;
}

/** A GraphQL enum a field takes its values from (the API registers it once by name). */
export interface FieldEnum {
  name: string;
  description: string;
  /** Stored value → its description; the GraphQL value is the stored one in upper case. */
  values: Readonly<Record<string, string>>;
}

/**
 * One settings or credentials field: how the API shows it (GraphQL scalar or enum, required,
 * description) and how its value is checked and normalised, both from this one declaration.
 */
export interface Field<T = unknown> {
  type: 'string' | 'int' | FieldEnum;
  /** Required in the API input. */
  required: boolean;
  /** Readable but possibly absent on channels saved before the field existed. */
  nullableOutput?: boolean;
  description?: string;
  parse(value: unknown, at: FieldContext): T;
}

export type Fields = Readonly<Record<string, Field>>;

/** The object a set of fields parses into. */
export type Parsed<F extends Fields> = { -readonly [K in keyof F]: ReturnType<F[K]['parse']> };

/** How the API names an integration's inputs and outputs. */
export interface ApiNames {
  /** The member of ChannelSettingsInput / ChannelCredentialsInput for this integration. */
  key: string;
  /** The settings output type; its input is this name + `Input`. */
  settingsType: string;
  credentialsInput: string;
}

/** A channel integration: one network through one provider API. */
export interface ChannelDefinition<S extends Fields = Fields, C extends Fields = Fields> {
  type: ChannelType;
  /** The provider API, e.g. `meta`, `smtp`, `twilio`. */
  provider: string;
  /** e.g. `WhatsApp (Meta Cloud API)`. */
  label: string;
  capability: ChannelCapability;
  mediaLimits: MediaLimits;
  /**
   * The longest caption the provider takes on a media message, and on which kinds of media
   * message it sends one, from its documentation; absent when none is known below the
   * 2,000-character text limit. A step naming this channel is refused with a longer caption
   * when saved; Last Interacted is checked when the send is rendered (the adapter).
   */
  captionLimit?: CaptionLimit;
  /**
   * The throughput the provider documents per channel (a WhatsApp number, a bot, a Page), which
   * dispatch keeps unless the channel sets its own (`maxMessagesPerSecond`); absent where the
   * provider queues messages itself (Twilio, SMTP servers) or documents no figure.
   */
  sendRate?: SendRate;
  /**
   * The provider reports delivered/read/failed after accepting a message (status callbacks), so
   * a step with "confirm delivery" waits for it; without receipts it routes on acceptance.
   */
  deliveryReceipts: boolean;
  /** The channel cannot send without credentials (email may use an open relay). */
  credentialsRequired: boolean;
  api: ApiNames;
  settings: S;
  credentials: C;
  /**
   * Rules across settings fields that no single field can check (Twilio: a sender number or a
   * Messaging Service), run after the fields by the one parser; report at `path.<field>`.
   */
  checkSettings?(settings: Parsed<S>, issues: IssueSink, path: string): void;
}
