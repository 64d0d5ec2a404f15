import type { ChannelIntegration } from '../integration';
import { emailGmailAdapter } from './adapter';
import { emailGmailConnection } from './connection';
import { emailGmailDefinition } from './definition';

/** Email through a Google Workspace mailbox with the Gmail API. */
export const emailGmailIntegration: ChannelIntegration = {
  definition: emailGmailDefinition,
  adapter: emailGmailAdapter,
  connection: emailGmailConnection,
};
