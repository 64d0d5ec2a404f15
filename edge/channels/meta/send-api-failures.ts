import { GRAPH_FAILURES, type GraphFailureTable } from './graph-errors';

/** The section every row cites. */
const SEND_API_ERRORS = 'Messenger Platform, Send API, "Error Codes"';

/**
 * Send API error codes → our reasons, for Messenger and for Instagram messaging (the Messenger
 * Platform's Instagram API answers with the same Send API errors). Rows naming a subcode come
 * first in spirit (findGraphFailure prefers them); the Graph-wide codes (190, 4, 613…) follow.
 * One test per row in messenger-meta/failures.test.ts.
 */
export const SEND_API_FAILURES: GraphFailureTable = [
  // Internal errors: Meta asks to try again later.
  {
    code: 1200,
    reason: 'network',
    transient: true,
    doc: `${SEND_API_ERRORS}, Internal Errors: 1200 Temporary send message failure`,
  },
  // Rate limits.
  {
    code: 4,
    subcode: 2018022,
    reason: 'rate_limited',
    transient: true,
    doc: `${SEND_API_ERRORS}, Rate Limit Errors: 4/2018022 Too many send requests`,
  },
  {
    code: 100,
    subcode: 2018109,
    reason: 'content_invalid',
    transient: false,
    doc: `${SEND_API_ERRORS}, Rate Limit Errors: 100/2018109 Attachment size exceeds allowable limit`,
  },
  // The messaging window and policy.
  {
    code: 10,
    subcode: 2018278,
    reason: 'messaging_window_closed',
    transient: false,
    doc: `${SEND_API_ERRORS}, Permission Errors: 10/2018278 This message is sent outside of allowed window`,
  },
  {
    code: 10,
    subcode: 2018065,
    reason: 'messaging_window_closed',
    transient: false,
    doc: `${SEND_API_ERRORS}, Permission Errors: 10/2018065 This message is sent outside of allowed window (tag not permitted)`,
  },
  {
    // The Instagram API's own subcode for the same refusal: an Instagram free-form message more
    // than 24 hours after the person last wrote. Without this row the Graph-wide code 10 ("API
    // Permission Denied") would take it for a revoked permission and put the channel in ERROR.
    code: 10,
    subcode: 2534022,
    reason: 'messaging_window_closed',
    transient: false,
    doc: `${SEND_API_ERRORS}, Permission Errors: 10/2534022 This message is sent outside of allowed window (Instagram)`,
  },
  {
    // Every subcoded permission error the Send API documents refuses this message or this
    // person (a closed window, a tag not allowed, someone who cannot receive messages now), not
    // the Page's token: one whose subcode no row here names is a refusal of the message. Taken
    // for Graph's bare code 10 ("API Permission Denied", credentials) it would put the channel
    // in ERROR and stop every later send to everyone.
    code: 10,
    otherSubcodes: true,
    reason: 'rejected_by_provider',
    transient: false,
    doc: `${SEND_API_ERRORS}, Permission Errors: 10 with a subcode (a policy refusal of this message or recipient)`,
  },
  {
    code: 10,
    subcode: 2018108,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${SEND_API_ERRORS}, Permission Errors: 10/2018108 This person cannot receive messages right now`,
  },
  // The recipient.
  {
    code: 551,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${SEND_API_ERRORS}, User Errors: 551 This person isn't available right now`,
  },
  {
    code: 100,
    subcode: 2018001,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${SEND_API_ERRORS}, Bad Parameter Errors: 100/2018001 No matching user found`,
  },
  {
    code: 200,
    subcode: 1545041,
    reason: 'recipient_unavailable',
    transient: false,
    doc: `${SEND_API_ERRORS}, Permission Errors: 200/1545041 Message not sent: this person isn't available right now`,
  },
  // The Page.
  {
    code: 100,
    subcode: 33,
    reason: 'channel_not_connected',
    transient: false,
    doc: 'Graph API, Handling Errors: 100 with subcode 33, the object (the Page) does not exist or the token cannot see it',
  },
  // The message itself.
  {
    code: 100,
    reason: 'content_invalid',
    transient: false,
    doc: `${SEND_API_ERRORS}, Bad Parameter Errors: 100 Invalid parameter`,
  },
  ...GRAPH_FAILURES,
];
