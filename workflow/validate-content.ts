import { CHANNEL_LABELS, canSend, MESSAGE_TYPE_LABELS } from './channel-capabilities';
import { type ChannelType, MESSAGE_TYPES, type MessageType } from './channel-types';
import { displayNameProblem } from './display-name';
import {
  MESSENGER_TAGS,
  type MessageContent,
  TEMPLATE_MEDIA_FORMATS,
  type TemplateHeaderMedia,
} from './types';
import { type ValidationIssue, validationIssue } from './validation-issue';

// WhatsApp template names: lower-case letters, digits and underscores, at most 512.
const WHATSAPP_TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
// Through Twilio a template is named by its Content SID ("Content API": `sid`, HX + 32 hex).
const TWILIO_CONTENT_SID = /^HX[0-9a-fA-F]{32}$/;
// WhatsApp writes template languages `en`, `en_US`, `pt_BR`; BCP 47 dashes are accepted too.
const WHATSAPP_LANGUAGE_CODE = /^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?$/;

function isMessageType(type: unknown): type is MessageType {
  return MESSAGE_TYPES.includes(type as MessageType);
}

/**
 * Checks a content's type is a known message type and, when the channel's type is known,
 * that the channel can send it (no WhatsApp template on Telegram).
 */
export function validateMessageType(
  type: unknown,
  channelType: ChannelType | undefined,
  path: string,
): ValidationIssue[] {
  if (!isMessageType(type)) {
    return [
      validationIssue('UNSUPPORTED_MESSAGE_TYPE', path, `Unknown message type ${String(type)}`),
    ];
  }
  if (channelType && !canSend(channelType, type)) {
    return [
      validationIssue(
        'UNSUPPORTED_MESSAGE_TYPE',
        path,
        `${CHANNEL_LABELS[channelType]} cannot send a ${MESSAGE_TYPE_LABELS[type]}`,
      ),
    ];
  }
  return [];
}

/** The last button position of a template (WhatsApp templates have up to 10 buttons). */
const MAX_TEMPLATE_BUTTON_INDEX = 9;

/** A link a provider fetches the media from: absolute https ("Template messages": `link`). */
const MEDIA_LINK = /^https:\/\/[^\s/]+\/\S*$/i;
/** Longest header link: as long as any link in a message (MAX_TEXT_LENGTH). */
const MAX_MEDIA_LINK_LENGTH = 2000;
/** Longest file name a linked document shows: as long as a library file's name may be. */
const MAX_MEDIA_FILE_NAME_LENGTH = 255;

/**
 * A template header's media: a known format, exactly one of a library file and an https link,
 * and a file name only where WhatsApp shows one (documents).
 */
function headerMediaIssues(
  media: TemplateHeaderMedia,
  path: string,
  fileIds: ReadonlySet<string>,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!TEMPLATE_MEDIA_FORMATS.includes(media.format)) {
    issues.push(
      validationIssue(
        'INVALID_VALUE',
        `${path}.format`,
        `A header's media format is one of ${TEMPLATE_MEDIA_FORMATS.join(', ')}`,
      ),
    );
  }
  const hasFile = media.fileId != null && media.fileId !== '';
  const hasLink = media.link != null && media.link !== '';
  if (hasFile === hasLink) {
    issues.push(
      validationIssue('INVALID_VALUE', path, 'Set exactly one of fileId and link for the header'),
    );
  } else if (hasFile && !fileIds.has(media.fileId!)) {
    issues.push(
      validationIssue('UNKNOWN_FILE', `${path}.fileId`, `File ${media.fileId} was not found`),
    );
  } else if (hasLink && !MEDIA_LINK.test(media.link!)) {
    issues.push(
      validationIssue('INVALID_VALUE', `${path}.link`, 'A header link is an https:// URL'),
    );
  } else if (hasLink && media.link!.length > MAX_MEDIA_LINK_LENGTH) {
    issues.push(
      validationIssue(
        'INVALID_VALUE',
        `${path}.link`,
        `A header link is at most ${MAX_MEDIA_LINK_LENGTH} characters`,
      ),
    );
  }
  if (media.fileName != null && (media.format !== 'DOCUMENT' || hasFile)) {
    issues.push(
      validationIssue(
        'INVALID_VALUE',
        `${path}.fileName`,
        'Only a linked DOCUMENT header takes a file name (a library file keeps its own)',
      ),
    );
  } else if (media.fileName != null) {
    // The name the contact's WhatsApp shows for the document: one line, as library names are.
    const problem =
      displayNameProblem(media.fileName) ??
      (media.fileName.trim() === ''
        ? 'A file name must not be blank'
        : media.fileName.length > MAX_MEDIA_FILE_NAME_LENGTH
          ? `A file name is at most ${MAX_MEDIA_FILE_NAME_LENGTH} characters`
          : null);
    if (problem) issues.push(validationIssue('INVALID_VALUE', `${path}.fileName`, problem));
  }
  return issues;
}

function templateIssues(
  content: Extract<MessageContent, { type: 'whatsapp_template' }>,
  path: string,
  fileIds: ReadonlySet<string>,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (content.headerMedia) {
    issues.push(...headerMediaIssues(content.headerMedia, `${path}.headerMedia`, fileIds));
  }
  const name = content.templateName ?? '';
  if (!WHATSAPP_TEMPLATE_NAME.test(name) && !TWILIO_CONTENT_SID.test(name)) {
    issues.push(
      validationIssue(
        'INVALID_VALUE',
        `${path}.templateName`,
        'Template name must be lower-case letters, digits and underscores (through Twilio, the Content SID: HX…)',
      ),
    );
  }
  if (!WHATSAPP_LANGUAGE_CODE.test(content.languageCode ?? '')) {
    issues.push(
      validationIssue(
        'INVALID_VALUE',
        `${path}.languageCode`,
        'Template language must be a code such as en or en_US',
      ),
    );
  }
  const indexes = (content.buttonParameters ?? []).map((button) => button.index);
  indexes.forEach((index, at) => {
    // A template has at most 10 buttons ("Templates": buttons), numbered from 0.
    if (!Number.isInteger(index) || index < 0 || index > MAX_TEMPLATE_BUTTON_INDEX) {
      issues.push(
        validationIssue(
          'INVALID_VALUE',
          `${path}.buttonParameters[${at}].index`,
          `A button index is from 0 to ${MAX_TEMPLATE_BUTTON_INDEX}`,
        ),
      );
    } else if (indexes.indexOf(index) !== at) {
      issues.push(
        validationIssue(
          'INVALID_VALUE',
          `${path}.buttonParameters[${at}].index`,
          `Button ${index} is given twice`,
        ),
      );
    }
  });
  return issues;
}

/**
 * Checks the parts of a content that are not free text: the media file is in the workspace's
 * library, a WhatsApp template has a well-formed name and language, a Messenger tag is one
 * Messenger accepts. Texts are checked by `validateMessageTexts`.
 */
export function validateContentFields(
  content: MessageContent,
  path: string,
  fileIds: ReadonlySet<string>,
): ValidationIssue[] {
  switch (content.type) {
    case 'media':
      return fileIds.has(content.fileId)
        ? []
        : [
            validationIssue(
              'UNKNOWN_FILE',
              `${path}.fileId`,
              `File ${content.fileId} was not found`,
            ),
          ];
    case 'whatsapp_template':
      return templateIssues(content, path, fileIds);
    case 'messenger_tagged':
      return MESSENGER_TAGS.includes(content.tag)
        ? []
        : [
            validationIssue(
              'INVALID_VALUE',
              `${path}.tag`,
              `Messenger tag must be one of ${MESSENGER_TAGS.join(', ')}`,
            ),
          ];
    default:
      return [];
  }
}
