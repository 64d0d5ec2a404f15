/**
 * Phone numbers written in two E.164 forms for one subscriber, and the form a contact's phone
 * takes. WhatsApp names a user by their "WhatsApp ID" (`wa_id`: the digits of the number their
 * account was registered with), and for two countries that is not always today's E.164 number
 * (BSP notes on WhatsApp IDs: Gupshup, "A brief note on the inconsistencies for mobile numbers
 * and their WhatsApp IDs in Brazil (digit '9') & Mexico (digit '1')"; Zoho, "What is the reason
 * for inconsistencies in mobile numbers and their WhatsApp IDs in Brazil and Mexico"):
 *
 * - Mexico (+52): since 3 August 2019 every number is 10 digits after the country code, and
 *   the 1 that used to follow +52 for mobiles is no longer dialled; accounts registered before
 *   keep it in their wa_id (`521` + 10 digits). National numbers start 2–9 (libphonenumber
 *   metadata, MX: `[2-9]\d{9}`), so `+521` + 10 digits can only be the old form of `+52` + the
 *   same 10 digits, never another number.
 * - Brazil (+55): a mobile number is a two-digit area code (both digits 1–9) and nine digits
 *   starting 9; the ninth digit was put in front of the former eight-digit mobile numbers
 *   (ANATEL, announced 10 December 2010, rolled out by area until 2016), which began 6–9
 *   (8765-4321 became 98765-4321). Accounts registered before may keep the eight-digit wa_id
 *   (`55` + area + 8 digits), most often outside areas 11–19, 21, 22, 24, 27 and 28. An
 *   eight-digit number starting 2–5 is a landline and has no nine-digit form.
 *
 * Nothing else is rewritten: every other number is equivalent only to itself.
 */

// `+52`, the old mobile 1 or not, then a 10-digit national number.
const MEXICO = /^\+52(1?)([2-9]\d{9})$/;
// `+55`, a two-digit area code, the ninth digit 9 or not, then the eight digits a mobile had
// before it (first digit 6–9). `9?` is optional so that `+55 11 9876-5432` (a pre-2016 mobile
// starting 9) reads as eight digits when it has no ninth digit in front.
const BRAZIL_MOBILE = /^\+55([1-9]{2})(9?)([6-9]\d{7})$/;

/**
 * The E.164 numbers that reach the same subscriber as `phone`, `phone` itself first: for
 * `+521` + 10 digits also `+52` + those digits and the other way round; for a Brazilian mobile
 * `+55` + area + 8 digits (starting 6–9) also `+55` + area + `9` + those digits and the other
 * way round. Any other string, E.164 or not, is returned alone.
 */
export function phoneEquivalents(phone: string): string[] {
  const mexico = MEXICO.exec(phone);
  if (mexico) {
    const [, one, national] = mexico;
    return [phone, one ? `+52${national}` : `+521${national}`];
  }
  const brazil = BRAZIL_MOBILE.exec(phone);
  if (brazil) {
    const [, area, ninth, local] = brazil;
    return [phone, ninth ? `+55${area}${local}` : `+55${area}9${local}`];
  }
  return [phone];
}

/**
 * The form a contact's phone takes among `phone`'s equivalents: today's E.164 number, the one a
 * person gives for themselves and the API is given (`+52` + 10 digits; a Brazilian mobile with
 * its ninth digit). Any other string is returned as it is.
 */
export function canonicalPhone(phone: string): string {
  const mexico = MEXICO.exec(phone);
  if (mexico) return `+52${mexico[2]}`;
  const brazil = BRAZIL_MOBILE.exec(phone);
  if (brazil) return `+55${brazil[1]}9${brazil[3]}`;
  return phone;
}
