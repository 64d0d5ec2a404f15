import { isUuid } from './ids';
import { messageTexts } from './message-texts';
import { findSnippetNames } from './snippets';
import type { SendMessageConfig } from './types';

/** The rows a Send a Message config names: channels, library files and snippets. */
export interface StepReferences {
  /** The step's specific channel (null for Last Interacted). */
  specificChannelId: string | null;
  /** The channels its channel responses are for. */
  responseChannelIds: string[];
  /** Files its default message, channel responses (template headers too) and email attachments send. */
  fileIds: string[];
  /** Snippets its texts reference (`$snippet.<name>`). */
  snippetNames: string[];
}

/**
 * Collects what a config refers to, for validation (api/workflows/lookups.ts) and for sending
 * (edge/dispatch/library.ts) alike. Ids that are not UUIDs are left out: they cannot name a row,
 * and would make a query's cast fail.
 */
export function stepReferences(config: SendMessageConfig): StepReferences {
  const specific = config.channel?.kind === 'specific' ? config.channel.channelId : null;
  const responses = config.channelResponses ?? [];
  const contents = [config.defaultMessage, ...responses.map((response) => response.content)];
  const attachments = (config.email?.attachments ?? []).filter(isUuid);
  const snippetNames = new Set<string>();
  for (const { text } of messageTexts(config)) {
    for (const name of findSnippetNames(text)) snippetNames.add(name);
  }
  return {
    specificChannelId: isUuid(specific) ? specific : null,
    responseChannelIds: [...new Set(responses.map((r) => r.channelId).filter(isUuid))],
    fileIds: [
      ...new Set(
        contents
          .flatMap((content) =>
            content?.type === 'media' && isUuid(content.fileId)
              ? [content.fileId]
              : content?.type === 'whatsapp_template' && isUuid(content.headerMedia?.fileId)
                ? [content.headerMedia.fileId]
                : [],
          )
          .concat(attachments),
      ),
    ],
    snippetNames: [...snippetNames],
  };
}
