import { CHANNEL_CAPABILITIES } from '../../../workflow/channel-capabilities';
import type { ChannelDefinition, Parsed } from '../definition';
import { emailAddress, secret, singleLine } from '../fields';

/**
 * Email through a Google Workspace (or Gmail) mailbox with the Gmail API: the message is the
 * same MIME the SMTP channel sends, posted to `users.messages.send` as the mailbox that granted
 * the refresh token. The OAuth client (id and secret, from Google Cloud) and the user's refresh
 * token are the credentials. Gmail reports nothing after accepting (no delivery receipts), and
 * media goes out as a link in the body, as on SMTP.
 */
export const emailGmailDefinition = {
  type: 'email',
  provider: 'gmail',
  label: 'Email (Gmail API)',
  capability: CHANNEL_CAPABILITIES.email,
  mediaLimits: null,
  sendRate: {
    // 15,000 units / 60 s / 100 units per send = 2.5 sends/s; rates are whole messages/s.
    messagesPerSecond: 2,
    doc: 'Gmail API, Usage limits: "Per user rate limit: 15,000 quota units per user per minute" (userRateLimitExceeded), and messages.send costs 100 quota units: 150 sends a minute per mailbox',
  },
  deliveryReceipts: false,
  credentialsRequired: true,
  api: {
    key: 'gmail',
    settingsType: 'GmailChannelSettings',
    credentialsInput: 'GmailCredentialsInput',
  },
  settings: {
    fromAddress: emailAddress({
      required: true,
      description:
        "The mailbox's address, or one of its verified send-as aliases (Gmail refuses others).",
    }),
    // The name goes into the From header, where a line break would inject headers.
    fromName: singleLine({ required: false }),
  },
  credentials: {
    clientId: secret({
      required: true,
      description: 'The OAuth client id (Google Cloud console, APIs & Services, Credentials).',
    }),
    clientSecret: secret({ required: true, description: "The OAuth client's secret." }),
    refreshToken: secret({
      required: true,
      description:
        'A refresh token the mailbox granted with the gmail.send scope (offline access).',
    }),
  },
} satisfies ChannelDefinition;

/** A Gmail channel's settings as stored and as the adapter reads them. */
export type GmailSettings = Parsed<typeof emailGmailDefinition.settings>;
