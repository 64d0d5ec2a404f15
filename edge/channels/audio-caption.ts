import type { SendOutcome } from './types';

/**
 * A WhatsApp audio send whose caption follows as a text message (WhatsApp audio takes no
 * caption: Cloud API "Messages", audio object; Vonage Messages API, WhatsApp audio): `sendCaption`
 * runs only once the audio is accepted, and the send counts as sent with the audio. A caption
 * text that fails is told in `providerDetail`, never retried: a retry would send the audio twice.
 */
export async function withAudioCaption(
  audio: SendOutcome,
  sendCaption: (() => Promise<SendOutcome>) | null,
): Promise<SendOutcome> {
  if (audio.status !== 'sent' || !sendCaption) return audio;
  const caption = await sendCaption();
  return {
    ...audio,
    providerDetail:
      caption.status === 'sent'
        ? `WhatsApp audio takes no caption: it went as a text message (${caption.providerMessageId})`
        : `WhatsApp audio takes no caption, and the text message carrying it was not sent: ${caption.detail}`,
  };
}
