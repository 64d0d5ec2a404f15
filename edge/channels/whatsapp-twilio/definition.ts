import { twilioDefinition } from '../twilio/definition';
import { WHATSAPP_MEDIA_LIMITS } from '../whatsapp-meta/definition';

/**
 * WhatsApp through Twilio: the same Messages resource with `whatsapp:+E164` addresses (Twilio
 * Docs, WhatsApp, "Send messages": the sender is a WhatsApp-enabled Twilio number). WhatsApp's
 * own rules hold whatever the provider: the 24-hour window, templates (Twilio Content API
 * templates, named by their Content SID), and WhatsApp's media types and sizes.
 */
export const whatsappTwilioDefinition = twilioDefinition({
  type: 'whatsapp',
  label: 'WhatsApp (Twilio)',
  mediaLimits: WHATSAPP_MEDIA_LIMITS,
  api: {
    key: 'whatsappTwilio',
    settingsType: 'WhatsAppTwilioChannelSettings',
    credentialsInput: 'WhatsAppTwilioCredentialsInput',
  },
});
