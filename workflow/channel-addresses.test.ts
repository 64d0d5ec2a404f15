import { describe, expect, it } from 'vitest';
import { addressProblem, takesBusinessScopedUserIds } from './channel-addresses';

const META = { name: 'meta', label: 'WhatsApp (Meta Cloud API)' };
const PHONE_ONLY = [
  { name: 'twilio', label: 'WhatsApp (Twilio)' },
  { name: 'vonage', label: 'WhatsApp (Vonage)' },
  { name: 'dialog360', label: 'WhatsApp (360dialog)' },
];

describe('WhatsApp addresses by provider', () => {
  it("through Meta's Cloud API, a BSUID or parent BSUID is an address beside an E.164 phone", () => {
    for (const address of [
      '+14155550100',
      'US.13491208655302741918',
      'US.ENT.11815799212886844830',
    ]) {
      expect(addressProblem('whatsapp', address, META), address).toBeNull();
    }
    expect(takesBusinessScopedUserIds('whatsapp', 'meta')).toBe(true);
  });

  it("through Meta's Cloud API, anything else is INVALID_PHONE naming both forms", () => {
    for (const address of ['0612345678', 'us.13491208655302741918', 'US.1349-1208']) {
      expect(addressProblem('whatsapp', address, META), address).toEqual({
        code: 'INVALID_PHONE',
        message:
          'Must be E.164, e.g. +14155550100, or a business-scoped user ID such as US.13491208655302741918',
      });
    }
  });

  it('through Twilio, Vonage or 360dialog, a BSUID is refused naming the provider; a phone is fine', () => {
    for (const provider of PHONE_ONLY) {
      expect(addressProblem('whatsapp', '+14155550100', provider)).toBeNull();
      expect(addressProblem('whatsapp', 'US.13491208655302741918', provider)).toEqual({
        code: 'INVALID_PHONE',
        message: `${provider.label} sends to phone numbers only: must be E.164, e.g. +14155550100 (a business-scoped user ID needs a WhatsApp channel through Meta's Cloud API)`,
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
    expect(addressProblem('whatsapp', 'US.13491208655302741918')?.code).toBe('INVALID_PHONE');
    expect(takesBusinessScopedUserIds('whatsapp', null)).toBe(false);
  });
});
