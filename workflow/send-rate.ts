/**
 * How fast dispatch may send through one channel, in messages per second. A provider documents
 * a throughput per sender (a WhatsApp number: 80 messages/s by default); sending faster only
 * earns rate-limit errors, and a campaign whose retries run out on them would route its
 * contacts to the failure branch. So every channel has a rate in effect: the one its user set
 * (`channels.max_messages_per_second`, for a sender the provider upgraded), else its
 * integration's documented default, else none (the provider paces itself, as Twilio and SMTP
 * servers queue, or documents no figure).
 */

/** Highest rate a user may set (LINE's 2,000 requests/s is the highest documented default). */
export const MAX_CHANNEL_MESSAGES_PER_SECOND = 10_000;

/** An integration's documented throughput per channel, and where it is documented. */
export interface SendRate {
  messagesPerSecond: number;
  /** The provider's page and section the figure comes from. */
  doc: string;
}

/** The rate dispatch keeps for a channel: its own setting, else the integration's default. */
export function sendRateInEffect(
  configured: number | null | undefined,
  integrationDefault: SendRate | undefined,
): number | null {
  return configured ?? integrationDefault?.messagesPerSecond ?? null;
}
