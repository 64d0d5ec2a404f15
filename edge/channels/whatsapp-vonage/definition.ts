import { vonageDefinition } from '../vonage/definition';
import { WHATSAPP_MEDIA_LIMITS } from '../whatsapp-meta/definition';

/**
 * WhatsApp through Vonage's Messages API (`channel: "whatsapp"`): WhatsApp's window, templates
 * (by name and locale) and media limits, sent as the Vonage application.
 */
export const whatsappVonageDefinition = vonageDefinition({
  type: 'whatsapp',
  label: 'WhatsApp (Vonage)',
  mediaLimits: WHATSAPP_MEDIA_LIMITS,
  api: {
    key: 'whatsappVonage',
    settingsType: 'WhatsAppVonageChannelSettings',
    credentialsInput: 'WhatsAppVonageCredentialsInput',
  },
});
