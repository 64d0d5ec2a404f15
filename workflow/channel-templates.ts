import {
  type MediaFacts,
  type MediaKind,
  type MediaLimits,
  mediaLimitProblem,
} from './media-limits';
import type { TemplateMediaFormat, WhatsAppTemplateContent } from './types';
import { type ValidationIssue, validationIssue } from './validation-issue';

/**
 * A message template of a channel's provider account (WhatsApp Business Account templates), as
 * the channel's cache holds it, so that a step's template is checked when it is saved and
 * published instead of failing at send time.
 */
export interface ChannelTemplate {
  name: string;
  /** As the provider writes it: `en`, `en_US`, `pt_BR`. */
  language: string;
  /** `APPROVED` templates can be sent; `PENDING`, `REJECTED`, `PAUSED`, `DISABLED` cannot. */
  status: string;
  category: string | null;
  /** Placeholders in the body (`{{1}}`, `{{2}}`… or named ones), filled by the step's parameters. */
  bodyParameters: number;
  /** Placeholders in a text header, filled by the step's header parameters. */
  headerParameters?: number;
  /** Positions (0-based) of the URL buttons whose URL ends in a placeholder. */
  urlButtons?: number[];
  /** The format of a media header (its media is a parameter at send time); absent otherwise. */
  headerFormat?: TemplateMediaFormat;
  /**
   * Parameters a step has no way to fill (a LOCATION header); on templates listed before
   * header, button and media header parameters were read, every one of them.
   */
  otherParameters: number;
}

/** What the header media check reads: the step's library files and the channel's media limits. */
export interface TemplateMediaLookups {
  files?: ReadonlyMap<string, MediaFacts>;
  mediaLimits?: MediaLimits;
  /** The channel's name for messages, e.g. `WhatsApp (Meta Cloud API)`. */
  label?: string;
}

/**
 * The media message kind of each header format: its media meets that kind's limits and goes out
 * as that parameter type ("Template messages": header parameters `image`, `video`, `document`).
 */
export const TEMPLATE_MEDIA_KINDS = {
  IMAGE: 'image',
  VIDEO: 'video',
  DOCUMENT: 'document',
} as const satisfies Record<TemplateMediaFormat, MediaKind>;

/**
 * The header media against the template's header: given exactly when the template has a media
 * header, in its format, and a library file the channel sends as that kind (type and size).
 */
function headerMediaIssues(
  content: WhatsAppTemplateContent,
  template: ChannelTemplate,
  path: string,
  lookups: TemplateMediaLookups,
): ValidationIssue[] {
  const media = content.headerMedia;
  const wanted = template.headerFormat;
  if (!media && !wanted) return [];
  if (!media || !wanted || media.format !== wanted) {
    const has = wanted ? `has a ${wanted} header` : 'has no media header';
    const given = media ? `${media.format} media given` : 'no header media given';
    return [
      validationIssue(
        'TEMPLATE_PARAMETER_MISMATCH',
        `${path}.headerMedia`,
        `Template ${template.name} ${has}; ${given}`,
      ),
    ];
  }
  const file = media.fileId ? lookups.files?.get(media.fileId) : undefined;
  const kind = TEMPLATE_MEDIA_KINDS[wanted];
  const limit = lookups.mediaLimits?.[kind];
  if (!file || !limit) return [];
  const problem = mediaLimitProblem({ [kind]: limit }, file, lookups.label ?? 'WhatsApp');
  return problem
    ? [
        validationIssue(
          'MEDIA_NOT_ACCEPTED',
          `${path}.headerMedia.fileId`,
          `A ${wanted} header: ${problem}`,
        ),
      ]
    : [];
}

/** The status of a template that may be sent. */
export const SENDABLE_TEMPLATE_STATUS = 'APPROVED';

/** BCP 47 writes `en-US` where WhatsApp writes `en_US`; compare them as one. */
function sameLanguage(a: string, b: string): boolean {
  return a.replace('-', '_').toLowerCase() === b.replace('-', '_').toLowerCase();
}

/**
 * Checks a template message against the channel's templates: the template exists, in that
 * language, is approved, and gets exactly the parameters it has (body, text header, URL
 * buttons) and the media its IMAGE, VIDEO or DOCUMENT header shows.
 * `templates` null means the channel's templates could not be loaded (then nothing can be
 * promised, so the step is refused).
 */
export function templateIssues(
  content: WhatsAppTemplateContent,
  templates: readonly ChannelTemplate[] | null,
  path: string,
  media: TemplateMediaLookups = {},
): ValidationIssue[] {
  if (templates === null) {
    return [
      validationIssue(
        'TEMPLATES_UNAVAILABLE',
        `${path}.templateName`,
        "The channel's templates could not be loaded; check its connection, then try again",
      ),
    ];
  }
  const named = templates.filter((template) => template.name === content.templateName);
  if (named.length === 0) {
    return [
      validationIssue(
        'TEMPLATE_NOT_FOUND',
        `${path}.templateName`,
        `The account has no template named ${content.templateName}`,
      ),
    ];
  }
  const template = named.find((candidate) =>
    sameLanguage(candidate.language, content.languageCode),
  );
  if (!template) {
    const languages = named.map((candidate) => candidate.language).join(', ');
    return [
      validationIssue(
        'TEMPLATE_NOT_FOUND',
        `${path}.languageCode`,
        `Template ${content.templateName} has no ${content.languageCode} version (it has ${languages})`,
      ),
    ];
  }
  if (template.status !== SENDABLE_TEMPLATE_STATUS) {
    return [
      validationIssue(
        'TEMPLATE_NOT_APPROVED',
        `${path}.templateName`,
        `Template ${template.name} (${template.language}) is ${template.status}, not approved`,
      ),
    ];
  }
  if (template.otherParameters > 0) {
    return [
      validationIssue(
        'TEMPLATE_PARAMETER_MISMATCH',
        `${path}.templateName`,
        `Template ${template.name} has a header a step cannot fill (a location), or was listed before media headers were read: refresh the channel's templates`,
      ),
    ];
  }
  const issues: ValidationIssue[] = headerMediaIssues(content, template, path, media);
  const given = content.parameters?.length ?? 0;
  if (given !== template.bodyParameters) {
    issues.push(
      validationIssue(
        'TEMPLATE_PARAMETER_MISMATCH',
        `${path}.parameters`,
        `Template ${template.name} takes ${template.bodyParameters} parameter(s); ${given} given`,
      ),
    );
  }
  const header = template.headerParameters ?? 0;
  const givenHeader = content.headerParameters?.length ?? 0;
  if (givenHeader !== header) {
    issues.push(
      validationIssue(
        'TEMPLATE_PARAMETER_MISMATCH',
        `${path}.headerParameters`,
        `Template ${template.name} takes ${header} header parameter(s); ${givenHeader} given`,
      ),
    );
  }
  const buttons = [...(template.urlButtons ?? [])].sort((a, b) => a - b);
  const givenButtons = (content.buttonParameters ?? []).map((button) => button.index);
  if (
    givenButtons.length !== buttons.length ||
    [...givenButtons].sort((a, b) => a - b).some((index, at) => index !== buttons[at])
  ) {
    const wanted = buttons.length > 0 ? `buttons ${buttons.join(', ')}` : 'none';
    issues.push(
      validationIssue(
        'TEMPLATE_PARAMETER_MISMATCH',
        `${path}.buttonParameters`,
        `Template ${template.name} takes URL button parameters for ${wanted}; ${givenButtons.length > 0 ? `buttons ${givenButtons.join(', ')}` : 'none'} given`,
      ),
    );
  }
  return issues;
}
