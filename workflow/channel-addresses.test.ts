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
            'Must be E.164 (+ and 7 to 15 digits), e.g. +14155550100, or a business-scoped user ID such as US.13491208655302741918',
        });
      }
    }
  });

  it('through Twilio, a BSUID is refused naming the provider and those that take one; a phone is fine', () => {
    for (const provider of PHONE_ONLY) {
      expect(addressProblem('whatsapp', '+14155550100', provider)).toBeNull();
      expect(addressProblem('whatsapp', 'US.13491208655302741918', provider)).toEqual({
        code: 'INVALID_PHONE',
        message: `${provider.label} sends to phone numbers only: must be E.164 (+ and 7 to 15 digits), e.g. +14155550100 (a business-scoped user ID needs a WhatsApp channel through Meta's Cloud API, 360dialog or Vonage)`,
      });
      expect(addressProblem('whatsapp', '0612345678', provider)).toEqual({
        code: 'INVALID_PHONE',
        message: 'Must be E.164 (+ and 7 to 15 digits), e.g. +14155550100',
      });
      expect(takesBusinessScopedUserIds('whatsapp', provider.name)).toBe(false);
    }
  });

  it('SMS never takes a BSUID, whatever the provider, nor does an unknown provider', () => {
    expect(addressProblem('sms', 'US.13491208655302741918', META)).toEqual({
      code: 'INVALID_PHONE',
      message: 'Must be E.164 (+ and 7 to 15 digits), e.g. +14155550100',
    });
    expect(takesBusinessScopedUserIds('sms', 'meta')).toBe(false);
    expect(takesBusinessScopedUserIds('sms', 'vonage')).toBe(false);
    expect(
      addressProblem('sms', 'US.13491208655302741918', { name: 'vonage', label: 'SMS (Vonage)' }),
    ).toEqual({
      code: 'INVALID_PHONE',
      message: 'Must be E.164 (+ and 7 to 15 digits), e.g. +14155550100',
    });
    expect(addressProblem('whatsapp', 'US.13491208655302741918')?.code).toBe('INVALID_PHONE');
    expect(takesBusinessScopedUserIds('whatsapp', null)).toBe(false);
  });
});

describe('numeric network ids have one spelling', () => {
  it('a Telegram chat id (negative for groups), PSID or IGSID written as the network writes it is an address', () => {
    for (const [type, address] of [
      ['telegram', '123456789'],
      ['telegram', '-123456789'],
      ['telegram', '-1001234567890'],
      ['messenger', '24036548275991043'],
      ['instagram', '17841400008460056'],
    ] as const) {
      expect(addressProblem(type, address), `${type} ${address}`).toBeNull();
    }
  });

  it('leading zeros or a + on the same id are refused, naming the one address to store', () => {
    const cases = [
      ['telegram', '00123', 'Must be a chat id', '123'],
      ['telegram', '+123', 'Must be a chat id', '123'],
      ['telegram', '-00123', 'Must be a chat id', '-123'],
      ['messenger', '0024036548275991043', 'Must be a page-scoped id', '24036548275991043'],
      ['messenger', '+24036548275991043', 'Must be a page-scoped id', '24036548275991043'],
      ['instagram', '017841400008460056', 'Must be an Instagram-scoped id', '17841400008460056'],
      ['instagram', '+017841400008460056', 'Must be an Instagram-scoped id', '17841400008460056'],
    ] as const;
    for (const [type, address, message, canonical] of cases) {
      expect(addressProblem(type, address), `${type} ${address}`).toEqual({
        code: 'INVALID_VALUE',
        message: `${message} as the network writes it: ${canonical}, without a leading zero or +`,
      });
    }
  });

  it('zero, a negative PSID or IGSID, and what is no number at all keep the plain message', () => {
    for (const [type, address, message] of [
      ['telegram', '0', 'Must be a chat id'],
      ['telegram', '-0', 'Must be a chat id'],
      ['telegram', '12a', 'Must be a chat id'],
      ['messenger', '-123', 'Must be a page-scoped id'],
      ['messenger', '000', 'Must be a page-scoped id'],
      ['instagram', '@ada', 'Must be an Instagram-scoped id'],
    ] as const) {
      expect(addressProblem(type, address), `${type} ${address}`).toEqual({
        code: 'INVALID_VALUE',
        message,
      });
    }
  });
});
