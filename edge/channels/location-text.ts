import { coordinatesText, text } from './json-fields';

/**
 * What a conversation shows for a location a contact shared, the same on every channel that
 * records one (WhatsApp Cloud API, LINE, Twilio, Vonage): the place as the provider names it
 * (`"Philz Coffee, 101 Forest Ave"`), else where it is (`"37.44216, -122.16153"`), else null. A
 * dropped pin has no name or address; a value of the wrong type or coordinates out of range read
 * as absent (coordinatesText), so a malformed location records what is valid and never throws.
 */
export function locationText(
  name: unknown,
  address: unknown,
  latitude: unknown,
  longitude: unknown,
): string | null {
  const place = [text(name), text(address)].filter(Boolean).join(', ');
  return place || coordinatesText(latitude, longitude);
}
