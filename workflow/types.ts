import type { ChannelType } from './channel-types';

/**
 * The shapes of workflow definitions. These are plain data: they are stored as JSON in
 * Postgres, validated by api/, and executed by edge/.
 */

export const STEP_TYPES = ['send_message', 'wait'] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** Most characters a text message may have, counted after snippets are expanded. */
export const MAX_TEXT_LENGTH = 2000;

export type ChannelSelector = { kind: 'last_interacted' } | { kind: 'specific'; channelId: string };

export interface TextContent {
  type: 'text';
  text: string;
}

export interface MediaContent {
  type: 'media';
  fileId: string;
  caption?: string | null;
}

/** A pre-approved WhatsApp template; the only thing WhatsApp sends outside the 24 h window. */
export interface WhatsAppTemplateContent {
  type: 'whatsapp_template';
  templateName: string;
  languageCode: string;
  /** Body parameters in order ({{1}}, {{2}}...); each may contain variables. */
  parameters: string[];
  /** Text header parameters in order (the header's {{1}}); each may contain variables. */
  headerParameters?: string[];
  /** The variable part of each dynamic URL button, by the button's position in the template. */
  buttonParameters?: TemplateButtonParameter[];
  /** The media of an IMAGE, VIDEO or DOCUMENT header, when the template has one. */
  headerMedia?: TemplateHeaderMedia;
}

/** The formats of a template's media header, as WhatsApp names them (HEADER `format`). */
export const TEMPLATE_MEDIA_FORMATS = ['IMAGE', 'VIDEO', 'DOCUMENT'] as const;
export type TemplateMediaFormat = (typeof TEMPLATE_MEDIA_FORMATS)[number];

/**
 * What a template's media header shows: a library file (sent as its signed link, like media
 * messages) or a public https link the provider fetches, in exactly one of `fileId` and
 * `link`. `fileName` names a linked document (a library file keeps its own name).
 */
export interface TemplateHeaderMedia {
  format: TemplateMediaFormat;
  fileId?: string | null;
  link?: string | null;
  fileName?: string | null;
}

/** The text a dynamic URL button's `{{1}}` takes, for the button at `index` (0-based). */
export interface TemplateButtonParameter {
  index: number;
  text: string;
}

/** Messenger message tags allow sending outside the 24 h window for a few purposes. */
export const MESSENGER_TAGS = [
  'CONFIRMED_EVENT_UPDATE',
  'POST_PURCHASE_UPDATE',
  'ACCOUNT_UPDATE',
  'HUMAN_AGENT',
] as const;
export type MessengerTag = (typeof MESSENGER_TAGS)[number];

export interface MessengerTaggedContent {
  type: 'messenger_tagged';
  tag: MessengerTag;
  text: string;
}

export type DefaultMessage = TextContent | MediaContent;
export type MessageContent =
  | TextContent
  | MediaContent
  | WhatsAppTemplateContent
  | MessengerTaggedContent;

export interface ChannelResponse {
  channelId: string;
  content: MessageContent;
}

/** Inline run of rich text. `text` may contain variables and snippet references. */
export interface RichTextSpan {
  text: string;
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
  link?: string | null;
}

export type RichTextBlock =
  | { type: 'paragraph'; spans: RichTextSpan[] }
  | { type: 'heading'; level: 1 | 2 | 3; spans: RichTextSpan[] }
  | { type: 'list'; ordered: boolean; items: RichTextSpan[][] };

export interface EmailContent {
  /** Blank subject is sent when absent. May contain variables. */
  subject?: string | null;
  /** Rich-text body; when absent the chosen message content is used as the body. */
  body?: RichTextBlock[] | null;
  /** Library files attached to the email (ids), after the message's own media. */
  attachments?: string[] | null;
}

/** Most files one email step attaches. */
export const MAX_EMAIL_ATTACHMENTS = 10;

/**
 * "Confirm delivery": route on the provider's delivered/failed status instead of its acceptance,
 * waiting at most `timeoutMinutes`; no status in time counts as sent.
 */
export interface ConfirmDelivery {
  timeoutMinutes: number;
}

/** Longest confirm-delivery wait: one queue delay (12 hours), so one message ends the wait. */
export const MAX_CONFIRM_DELIVERY_MINUTES = 12 * 60;

export interface SendMessageConfig {
  channel: ChannelSelector;
  defaultMessage: DefaultMessage;
  channelResponses: ChannelResponse[];
  email?: EmailContent | null;
  /** "Add Message Failure Branch": on → failures go to the step's failure branch; off → exit. */
  failureBranchEnabled: boolean;
  /** Off (absent or null) by default: the step routes as soon as the provider accepts. */
  confirmDelivery?: ConfirmDelivery | null;
}

export interface WaitConfig {
  /** How long to wait before the next step. */
  seconds: number;
}

export type StepConfig = SendMessageConfig | WaitConfig;

/** One step as frozen into a published version. */
export interface GraphStep {
  id: string;
  type: StepType;
  name?: string | null;
  config: StepConfig;
  nextStepId: string | null;
  failureStepId: string | null;
}

/** A published workflow's frozen graph. */
export interface WorkflowGraph {
  entryStepId: string;
  steps: GraphStep[];
}

export interface PublishIssue {
  code: string;
  message: string;
  stepId?: string | null;
  /** Where in the step's config (or the graph) the issue is, e.g. `defaultMessage.text`. */
  path?: string | null;
}

/** What publishing found: errors block the publish, warnings (e.g. unknown variables) do not. */
export interface PublishReport {
  errors: PublishIssue[];
  warnings: PublishIssue[];
}

/** Reason codes recorded on failed deliveries (the README lists what each means). */
export const FAILURE_REASONS = [
  'no_associated_channel',
  'channel_not_connected',
  'credentials_rejected',
  'messaging_window_closed',
  'recipient_unavailable',
  'template_invalid',
  'rate_limited',
  'network',
  'rejected_by_provider',
  'content_invalid',
  // Not a provider's: the run was cancelled before the delivery's retry (edge/dispatch).
  'run_cancelled',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export type { ChannelType };
