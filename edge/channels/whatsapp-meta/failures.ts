import { GRAPH_FAILURES, type GraphFailureTable } from '../meta/graph-errors';

/** The section every row cites. */
const ERROR_CODES = 'WhatsApp Cloud API, Support, "Error codes"';

/**
 * WhatsApp Cloud API error codes → our reasons, for send answers and for `failed` statuses
 * alike (the same codes arrive both ways: "Error codes", "Receiving errors"). WhatsApp's own
 * codes come first; the Graph-wide ones (190, 4, 10, 613…) follow. One test per row in
 * failures.test.ts.
 */
export const WHATSAPP_FAILURES: GraphFailureTable = [
  // Authorization errors.
  {
    code: 0,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${ERROR_CODES}: 0 AuthException`,
  },
  {
    code: 3,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${ERROR_CODES}: 3 API Method (capability or permission missing)`,
  },
  {
    code: 131005,
    reason: 'credentials_rejected',
    transient: false,
    doc: `${ERROR_CODES}: 131005 Access denied`,
  },
  // Throttling errors: retried after Meta's hint or with backoff.
  {
    code: 80007,
    reason: 'rate_limited',
    transient: true,
    doc: `${ERROR_CODES}: 80007 Rate limit issues (WhatsApp Business Account)`,
  },
  {
    code: 130429,
    reason: 'rate_limited',
    transient: true,
    doc: `${ERROR_CODES}: 130429 Rate limit hit (Cloud API throughput)`,
  },
  {
    code: 131048,
    reason: 'rate_limited',
    transient: true,
    doc: `${ERROR_CODES}: 131048 Spam rate limit hit`,
  },
  {
    code: 131056,
    reason: 'rate_limited',
    transient: true,
    doc: `${ERROR_CODES}: 131056 (Business Account, Consumer Account) pair rate limit hit`,
  },
  // The 24-hour customer service window.
  {
    code: 131047,
    reason: 'messaging_window_closed',
    transient: false,
    doc: `${ERROR_CODES}: 131047 Re-engagement message (more than 24 hours since the last reply)`,
  },
  // The recipient cannot get the message.
  {
    code: 131026,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${ERROR_CODES}: 131026 Message undeliverable`,
  },
  {
    code: 131021,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${ERROR_CODES}: 131021 Recipient cannot be sender`,
  },
  {
    code: 131050,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${ERROR_CODES}: 131050 User has stopped marketing messages`,
  },
  {
    code: 130472,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${ERROR_CODES}: 130472 User's number is part of an experiment`,
  },
  {
    code: 130497,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${ERROR_CODES}: 130497 Business account restricted from messaging users in this country`,
  },
  // Templates.
  {
    code: 132000,
    reason: 'template_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 132000 Template param count mismatch`,
  },
  {
    code: 132001,
    reason: 'template_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 132001 Template does not exist`,
  },
  {
    code: 132005,
    reason: 'template_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 132005 Template hydrated text too long`,
  },
  {
    code: 132007,
    reason: 'template_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 132007 Template format character policy violated`,
  },
  {
    code: 132012,
    reason: 'template_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 132012 Template parameter format mismatch`,
  },
  {
    code: 132015,
    reason: 'template_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 132015 Template is paused`,
  },
  {
    code: 132016,
    reason: 'template_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 132016 Template is disabled`,
  },
  {
    code: 132018,
    reason: 'template_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 132018 "There was an issue with the parameters in your template" (a text parameter with a new-line, a tab or more than 4 consecutive spaces)`,
  },
  // The message itself.
  {
    code: 100,
    reason: 'content_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 100 Invalid parameter`,
  },
  {
    code: 131008,
    reason: 'content_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 131008 Required parameter is missing`,
  },
  {
    code: 131009,
    reason: 'content_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 131009 Parameter value is not valid`,
  },
  {
    code: 131051,
    reason: 'content_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 131051 Unsupported message type`,
  },
  {
    code: 131052,
    reason: 'content_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 131052 Media download error (the media link could not be fetched)`,
  },
  {
    code: 131053,
    reason: 'content_invalid',
    transient: false,
    doc: `${ERROR_CODES}: 131053 Media upload error (unsupported media)`,
  },
  {
    code: 131062,
    reason: 'content_invalid',
    transient: false,
    doc: 'WhatsApp Cloud API, "Business-scoped user IDs": 131062 Business-scoped User ID recipients are not supported for this message (one-tap, zero-tap and copy-code authentication templates need a phone number)',
  },
  // The business number or account.
  {
    code: 100,
    subcode: 33,
    reason: 'channel_not_connected',
    transient: false,
    doc: 'Graph API, Handling Errors: 100 with subcode 33, the object (phone number id) does not exist or the token cannot see it',
  },
  {
    code: 33,
    reason: 'channel_not_connected',
    transient: false,
    doc: `${ERROR_CODES}: 33 Parameter value is not valid (the business phone number was deleted)`,
  },
  {
    code: 133010,
    reason: 'channel_not_connected',
    transient: false,
    doc: `${ERROR_CODES}: 133010 Phone number not registered`,
  },
  {
    code: 131031,
    reason: 'channel_not_connected',
    transient: false,
    doc: `${ERROR_CODES}: 131031 Account has been locked`,
  },
  {
    code: 131042,
    reason: 'channel_not_connected',
    transient: false,
    doc: `${ERROR_CODES}: 131042 Business eligibility payment issue`,
  },
  // Meta's side: try again.
  {
    code: 131000,
    reason: 'network',
    transient: true,
    doc: `${ERROR_CODES}: 131000 Something went wrong`,
  },
  {
    code: 131016,
    reason: 'network',
    transient: true,
    doc: `${ERROR_CODES}: 131016 Service unavailable`,
  },
  {
    code: 131057,
    reason: 'network',
    transient: true,
    doc: `${ERROR_CODES}: 131057 Account in maintenance mode`,
  },
  ...GRAPH_FAILURES,
];
