import { CHANNEL_LABELS, canSend, MESSAGE_TYPE_LABELS } from './channel-capabilities';
import { type ChannelType, MESSAGE_TYPES, type MessageType } from './channel-types';
import { messageTexts } from './message-texts';
import { expandSnippets, findSnippetNames } from './snippets';
import { textLength } from './text-length';
import {
  MAX_TEXT_LENGTH,
  MESSENGER_TAGS,
  type MessageContent,
  type SendMessageConfig,
  type WaitConfig,
} from './types';
import type { ValidationIssue } from './validation-issue';

/** The workspace's own rows a step config may refer to (another workspace's are simply absent). */
export interface StepLookups {
  channels: ReadonlyMap<
    string,
    { type: ChannelType; status: 'connected' | 'disconnected' | 'error' }
  >;
  fileIds: ReadonlySet<string>;
  snippets: ReadonlyMap<string, string>;
}

/** Longest e-mail subject: one header line (RFC 5322 §2.1.1). */
export const MAX_EMAIL_SUBJECT_LENGTH = 998;
/** Longest wait: a year. */
export const MAX_WAIT_SECONDS = 365 * 24 * 60 * 60;
// WhatsApp template names: lower-case letters, digits and underscores, at most 512.
const WHATSAPP_TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
// WhatsApp template languages are written `en`, `en_US`, `pt_BR` (underscore) or BCP 47 style.
const WHATSAPP_LANGUAGE_CODE = /^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?$/;
const ALLOWED_LINK = /^(?:https?:\/\/|mailto:)/i;
const LINE_BREAK = /[\r\n]/;

function issue(code: ValidationIssue['code'], path: string, message: string): ValidationIssue {
  return { code, path, message };
}

function isMessageType(type: unknown): type is MessageType {
  return MESSAGE_TYPES.includes(type as MessageType);
}

/** Checks a referenced channel exists in the workspace and is connected. */
function checkChannel(channelId: string, path: string, lookups: StepLookups): ValidationIssue[] {
  const channel = lookups.channels.get(channelId);
  if (!channel) {
    return [issue('CHANNEL_NOT_FOUND', path, `Channel ${channelId} was not found`)];
  }
  if (channel.status !== 'connected') {
    return [
      issue(
        'CHANNEL_NOT_CONNECTED',
        path,
        `Channel ${channelId} is not connected (status: ${channel.status})`,
      ),
    ];
  }
  return [];
}

/** Checks a content's type is known and, when the channel is known, that it can send it. */
function checkMessageType(
  type: unknown,
  channelType: ChannelType | undefined,
  path: string,
): ValidationIssue[] {
  if (!isMessageType(type)) {
    return [issue('UNSUPPORTED_MESSAGE_TYPE', path, `Unknown message type ${String(type)}`)];
  }
  if (channelType && !canSend(channelType, type)) {
    return [
      issue(
        'UNSUPPORTED_MESSAGE_TYPE',
        path,
        `${CHANNEL_LABELS[channelType]} cannot send a ${MESSAGE_TYPE_LABELS[type]}`,
      ),
    ];
  }
  return [];
}

/** Checks the parts of a content that are not free text: files, template names, tags. */
function checkContentFields(
  content: MessageContent,
  path: string,
  lookups: StepLookups,
): ValidationIssue[] {
  switch (content.type) {
    case 'media':
      return lookups.fileIds.has(content.fileId)
        ? []
        : [issue('UNKNOWN_FILE', `${path}.fileId`, `File ${content.fileId} was not found`)];
    case 'whatsapp_template': {
      const issues: ValidationIssue[] = [];
      if (!WHATSAPP_TEMPLATE_NAME.test(content.templateName ?? '')) {
        issues.push(
          issue(
            'INVALID_VALUE',
            `${path}.templateName`,
            'Template name must be lower-case letters, digits and underscores',
          ),
        );
      }
      if (!WHATSAPP_LANGUAGE_CODE.test(content.languageCode ?? '')) {
        issues.push(
          issue(
            'INVALID_VALUE',
            `${path}.languageCode`,
            'Template language must be a code such as en or en_US',
          ),
        );
      }
      return issues;
    }
    case 'messenger_tagged':
      return MESSENGER_TAGS.includes(content.tag)
        ? []
        : [
            issue(
              'INVALID_VALUE',
              `${path}.tag`,
              `Messenger tag must be one of ${MESSENGER_TAGS.join(', ')}`,
            ),
          ];
    default:
      return [];
  }
}

function checkLink(link: string, path: string): ValidationIssue[] {
  if (ALLOWED_LINK.test(link.trim()) && URL.canParse(link.trim())) return [];
  return [issue('INVALID_URL', path, 'Links must be http(s) or mailto URLs')];
}

/** Checks every text: blank, too long once snippets are expanded, unknown snippets, bad links. */
function checkTexts(config: SendMessageConfig, lookups: StepLookups): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const { path, text, limited, required } of messageTexts(config)) {
    if (typeof text !== 'string') {
      issues.push(issue('INVALID_VALUE', path, 'Must be text'));
      continue;
    }
    if (required && text.trim() === '') {
      issues.push(issue('TEXT_EMPTY', path, 'Text must not be empty'));
      continue;
    }
    for (const name of findSnippetNames(text)) {
      if (!lookups.snippets.has(name)) {
        issues.push(issue('UNKNOWN_SNIPPET', path, `Snippet ${name} was not found`));
      }
    }
    const expanded = expandSnippets(text, lookups.snippets);
    if (limited) {
      const length = textLength(expanded);
      if (length > MAX_TEXT_LENGTH) {
        issues.push(
          issue(
            'TEXT_TOO_LONG',
            path,
            `Text is ${length} characters with snippets expanded; the limit is ${MAX_TEXT_LENGTH}`,
          ),
        );
      }
    }
    if (path === 'email.subject') {
      // A line break in a subject would let text spill into other headers.
      if (LINE_BREAK.test(expanded)) {
        issues.push(issue('INVALID_VALUE', path, 'Subject must be a single line'));
      } else if (textLength(expanded) > MAX_EMAIL_SUBJECT_LENGTH) {
        issues.push(
          issue(
            'INVALID_VALUE',
            path,
            `Subject must be at most ${MAX_EMAIL_SUBJECT_LENGTH} characters`,
          ),
        );
      }
    }
    if (path.endsWith('.link')) issues.push(...checkLink(expanded, path));
  }
  return issues;
}

/**
 * Everything wrong with a Send a Message config, given the workspace's channels, files and
 * snippets. An empty list means it can be saved.
 */
export function validateSendMessageConfig(
  config: SendMessageConfig,
  lookups: StepLookups,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];

  let specificType: ChannelType | undefined;
  if (config.channel?.kind === 'specific') {
    issues.push(...checkChannel(config.channel.channelId, 'channel.channelId', lookups));
    specificType = lookups.channels.get(config.channel.channelId)?.type;
  } else if (config.channel?.kind !== 'last_interacted') {
    issues.push(issue('INVALID_VALUE', 'channel', 'Choose a specific channel or last interacted'));
  }

  const defaultType = config.defaultMessage?.type;
  if (defaultType !== 'text' && defaultType !== 'media') {
    issues.push(
      issue(
        'UNSUPPORTED_MESSAGE_TYPE',
        'defaultMessage.type',
        'Default message must be text or media',
      ),
    );
  } else {
    issues.push(...checkMessageType(defaultType, specificType, 'defaultMessage.type'));
    issues.push(...checkContentFields(config.defaultMessage, 'defaultMessage', lookups));
  }

  const seen = new Set<string>();
  (config.channelResponses ?? []).forEach((response, index) => {
    const path = `channelResponses[${index}]`;
    const channelId = response.channelId;
    if (seen.has(channelId)) {
      issues.push(
        issue(
          'DUPLICATE_CHANNEL_RESPONSE',
          `${path}.channelId`,
          `Channel ${channelId} already has a response`,
        ),
      );
    }
    seen.add(channelId);
    issues.push(...checkChannel(channelId, `${path}.channelId`, lookups));
    const channelType = lookups.channels.get(channelId)?.type;
    const typeIssues = checkMessageType(
      response.content?.type,
      channelType,
      `${path}.content.type`,
    );
    issues.push(...typeIssues);
    if (typeIssues.length === 0) {
      issues.push(...checkContentFields(response.content, `${path}.content`, lookups));
    }
  });

  issues.push(...checkTexts(config, lookups));
  return issues;
}

/** Everything wrong with a Wait config: a whole number of seconds, from 1 to a year. */
export function validateWaitConfig(config: WaitConfig): ValidationIssue[] {
  const seconds = config?.seconds;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WAIT_SECONDS) {
    return [
      issue(
        'INVALID_VALUE',
        'seconds',
        `Wait must be a whole number of seconds from 1 to ${MAX_WAIT_SECONDS} (365 days)`,
      ),
    ];
  }
  return [];
}

/** What `validateFailureBranch` needs to know about a step and its workflow. */
export interface FailureBranchInput {
  failureBranchEnabled: boolean;
  failureStepId: string | null;
  stepId: string;
  workflowStepIds: ReadonlySet<string>;
}

/**
 * Checks the "Add Message Failure Branch" toggle and its target: on needs a target, and a
 * target must be another step of the same workflow. A target given with the toggle off is
 * still checked, so that a step never points into another workflow.
 */
export function validateFailureBranch(input: FailureBranchInput): ValidationIssue[] {
  const { failureBranchEnabled, failureStepId, stepId, workflowStepIds } = input;
  if (failureStepId === null || failureStepId === undefined || failureStepId === '') {
    return failureBranchEnabled
      ? [
          issue(
            'FAILURE_TARGET_REQUIRED',
            'failureStepId',
            'The failure branch is on: choose the step failed sends go to',
          ),
        ]
      : [];
  }
  if (failureStepId === stepId) {
    return [
      issue('FAILURE_TARGET_INVALID', 'failureStepId', 'A step cannot be its own failure branch'),
    ];
  }
  if (!workflowStepIds.has(failureStepId)) {
    return [
      issue(
        'FAILURE_TARGET_INVALID',
        'failureStepId',
        `Step ${failureStepId} is not a step of this workflow`,
      ),
    ];
  }
  return [];
}
