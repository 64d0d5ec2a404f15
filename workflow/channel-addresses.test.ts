import { describe, expect, it } from 'vitest';
import { addressProblem, takesBusinessScopedUserIds } from './channel-addresses';

const META = { name: 'meta', label: 'WhatsApp (Meta Cloud API)' };
/** The WhatsApp providers that send to a business-scoped user ID as well as to a phone. */
const TAKE_BSUIDS = [
  META,
  { name: 'dialog360', label: 'WhatsApp (360dialog)' },
  { name: 'vonage', label: 'WhatsApp (Vonage)' },
];
const PHONE_ONLY = [{ name: 'twilio', label: 'WhatsApp (Twilio)' }];

describe('WhatsApp addresses by provider', () => {
  it("through Meta's Cloud API, 360dialog or Vonage, a BSUID or parent BSUID is an address beside an E.164 phone", () => {
    for (const provider of TAKE_BSUIDS) {
      for (const address of [
        '+14155550100',
        'US.13491208655302741918',
        'US.ENT.11815799212886844830',
      ]) {
        expect(addressProblem('whatsapp', address, provider), `${provider.name} ${address}`).toBe(
          null,
        );
      }
      expect(takesBusinessScopedUserIds('whatsapp', provider.name), provider.name).toBe(true);
    }
  });

  it("through Meta's Cloud API, 360dialog or Vonage, anything else is INVALID_PHONE naming both forms", () => {
    for (const provider of TAKE_BSUIDS) {
      for (const address of ['0612345678', 'us.13491208655302741918', 'US.1349-1208']) {
        expect(addressProblem('whatsapp', address, provider), address).toEqual({
          code: 'INVALID_PHONE',
          message:
            'Must be E.164, e.g. +14155550100, or a business-scoped user ID such as US.13491208655302741918',
        });
      }
    }
  });

  it('through Twilio, a BSUID is refused naming the provider and those that take one; a phone is fine', () => {
    for (const provider of PHONE_ONLY) {
      expect(addressProblem('whatsapp', '+14155550100', provider)).toBeNull();
      expect(addressProblem('whatsapp', 'US.13491208655302741918', provider)).toEqual({
        code: 'INVALID_PHONE',
        message: `${provider.label} sends to phone numbers only: must be E.164, e.g. +14155550100 (a business-scoped user ID needs a WhatsApp channel through Meta's Cloud API, 360dialog or Vonage)`,
      });
      expect(addressProblem('whatsapp', '0612345678', provider)).toEqual({
        code: 'INVALID_PHONE',
        message: 'Must be E.164, e.g. +14155550100',
      });
      expect(takesBusinessScopedUserIds('whatsapp', provider.name)).toBe(false);
    }
  });

  it('SMS never takes a BSUID, whatever the provider, nor does an unknown provider', () => {
    expect(addressProblem('sms', 'US.13491208655302741918', META)).toEqual({
      code: 'INVALID_PHONE',
      message: 'Must be E.164, e.g. +14155550100',
    });
    expect(takesBusinessScopedUserIds('sms', 'meta')).toBe(false);
    expect(takesBusinessScopedUserIds('sms', 'vonage')).toBe(false);
    expect(
      addressProblem('sms', 'US.13491208655302741918', { name: 'vonage', label: 'SMS (Vonage)' }),
    ).toEqual({
      code: 'INVALID_PHONE',
      message: 'Must be E.164, e.g. +14155550100',
    });
    expect(addressProblem('whatsapp', 'US.13491208655302741918')?.code).toBe('INVALID_PHONE');
    expect(takesBusinessScopedUserIds('whatsapp', null)).toBe(false);
  });
});
