import { describe, expect, it } from 'vitest';
import {
  isAssignedCountryCode,
  isBusinessScopedUserId,
  isCountryCode,
  isCustomFieldKey,
  isE164,
  isEmailAddress,
  isLanguageTag,
} from './contact-fields';

describe('isE164', () => {
  it('accepts + followed by 7 to 15 digits starting 1-9', () => {
    // The shortest in use: Niue (+683) and Saint Helena (+290) with four-digit numbers.
    for (const phone of [
      '+14155550100',
      '+447700900123',
      '+6837012',
      '+2908123',
      '+123456789012345',
    ]) {
      expect(isE164(phone)).toBe(true);
    }
  });

  it('rejects numbers without +, with a leading 0, too short, too long or formatted', () => {
    for (const phone of [
      '14155550100',
      '+04155550100',
      '+1',
      '+12',
      '+683701',
      '+123456',
      '+1234567890123456',
      '+1 415 555 0100',
      '+1-415-555-0100',
      '',
      '+14155550100\n',
    ]) {
      expect(isE164(phone)).toBe(false);
    }
  });
});

describe('isBusinessScopedUserId', () => {
  it('accepts a country code, a period and up to 128 alphanumerics, with ENT. for a parent BSUID', () => {
    for (const id of [
      'US.13491208655302741918',
      'US.ENT.11815799212886844830',
      'BR.1502576394655843',
      'IN.a1B2c3',
      `DE.${'9'.repeat(128)}`,
    ]) {
      expect(isBusinessScopedUserId(id), id).toBe(true);
    }
  });

  it('rejects a lower-case or missing country code, other separators, symbols and too long ids', () => {
    for (const id of [
      'us.13491208655302741918',
      'USA.13491208655302741918',
      '13491208655302741918',
      'US13491208655302741918',
      'US.',
      'US.ENT.',
      'US.1349-1208',
      'US.1349.1208',
      'US.ENT.ENT.1',
      `DE.${'9'.repeat(129)}`,
      '+14155550100',
      ' US.13491208655302741918',
    ]) {
      expect(isBusinessScopedUserId(id), id).toBe(false);
    }
  });
});

describe('isEmailAddress', () => {
  it('accepts ordinary addresses', () => {
    for (const email of ['ada@example.com', 'first.last+tag@mail.example.co.uk', "o'neil@x.io"]) {
      expect(isEmailAddress(email)).toBe(true);
    }
  });

  it('rejects addresses without exactly one @ or without a dot in the domain', () => {
    for (const email of [
      'ada.example.com',
      'a@b@example.com',
      'ada@localhost',
      '@example.com',
      'ada@',
    ]) {
      expect(isEmailAddress(email)).toBe(false);
    }
  });

  it('rejects spaces and line breaks that could reach a header', () => {
    for (const email of [
      'ada lovelace@example.com',
      'ada@example.com\r\nBcc: x@y.z',
      'ada@ex ample.com',
    ]) {
      expect(isEmailAddress(email)).toBe(false);
    }
  });

  it('rejects empty domain labels', () => {
    expect(isEmailAddress('ada@example..com')).toBe(false);
    expect(isEmailAddress('ada@.example.com')).toBe(false);
    expect(isEmailAddress('ada@example.com.')).toBe(false);
  });

  it('rejects addresses over 254 characters', () => {
    const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.example.com`;
    expect(isEmailAddress(`${'a'.repeat(254 - domain.length)}@${domain}`)).toBe(false);
    expect(isEmailAddress(`${'a'.repeat(253 - domain.length)}@${domain}`)).toBe(true);
  });

  it('rejects a local part over 64 characters (RFC 5321 §4.5.3.1.1)', () => {
    expect(isEmailAddress(`${'a'.repeat(64)}@example.com`)).toBe(true);
    expect(isEmailAddress(`${'a'.repeat(65)}@example.com`)).toBe(false);
  });

  it('rejects a local part with a leading, trailing or doubled dot (RFC 5321 §4.1.2 Dot-string)', () => {
    for (const email of ['.ada@example.com', 'ada.@example.com', 'ada..lovelace@example.com']) {
      expect(isEmailAddress(email), email).toBe(false);
    }
    expect(isEmailAddress('ada.king.lovelace@example.com')).toBe(true);
  });
});

describe('isCountryCode', () => {
  it('accepts two letters', () => {
    expect(isCountryCode('FR')).toBe(true);
    expect(isCountryCode('us')).toBe(true);
  });

  it('rejects other shapes', () => {
    for (const code of ['FRA', 'F', '12', 'F1', '']) expect(isCountryCode(code)).toBe(false);
  });
});

describe('isLanguageTag', () => {
  it('accepts well-formed BCP 47 tags', () => {
    for (const tag of ['en', 'pt-BR', 'zh-Hant-TW', 'es-419', 'de-CH-1996', 'en-US-x-private']) {
      expect(isLanguageTag(tag)).toBe(true);
    }
  });

  it('rejects malformed tags', () => {
    for (const tag of ['english', 'en_US', 'e', 'en-', '', 'de-1996-1996', '123']) {
      expect(isLanguageTag(tag)).toBe(false);
    }
  });
});

describe('isCustomFieldKey', () => {
  it('accepts identifiers usable as $contact.<key>', () => {
    for (const key of ['favorite_color', '_internal', 'Tier2'])
      expect(isCustomFieldKey(key)).toBe(true);
  });

  it('rejects keys that cannot be written as a variable', () => {
    for (const key of ['2fa', 'favorite-color', 'a b', '', 'x'.repeat(65)]) {
      expect(isCustomFieldKey(key)).toBe(false);
    }
  });

  it('rejects keys a standard contact field would shadow', () => {
    for (const key of ['email', 'FirstName', 'phone']) expect(isCustomFieldKey(key)).toBe(false);
  });
});

describe('isAssignedCountryCode', () => {
  it('accepts the 249 assigned codes in any case, and XK', () => {
    for (const code of ['FR', 'gb', 'Us', 'AX', 'ZW', 'XK']) {
      expect(isAssignedCountryCode(code), code).toBe(true);
    }
  });

  it('refuses two letters no country is assigned, UK and EU included', () => {
    for (const code of ['UK', 'EU', 'ZZ', 'AA', 'XX', 'QO', 'YU', 'F1', 'FRA', '']) {
      expect(isAssignedCountryCode(code), code).toBe(false);
    }
  });
});

describe('isEmailAddress domains', () => {
  it('refuses a domain label over 63 characters (RFC 1035 §2.3.4)', () => {
    expect(isEmailAddress(`ada@${'d'.repeat(63)}.example.com`)).toBe(true);
    expect(isEmailAddress(`ada@${'d'.repeat(64)}.example.com`)).toBe(false);
    expect(isEmailAddress(`ada@example.${'c'.repeat(64)}`)).toBe(false);
  });

  it('refuses an all-digit top-level label: an IP address without brackets (RFC 3696 §2)', () => {
    expect(isEmailAddress('ada@192.0.2.1')).toBe(false);
    expect(isEmailAddress('ada@example.123')).toBe(false);
    expect(isEmailAddress('ada@123.example.com')).toBe(true);
    expect(isEmailAddress('ada@example.c0m')).toBe(true);
  });
});

describe('isLanguageTag length', () => {
  it('refuses a well-formed tag over 64 characters (private use repeats freely)', () => {
    const tag = (last: string) => `en-x-${'aaaaaaaa-'.repeat(6)}${last}`;
    expect(tag('aaaaa')).toHaveLength(64);
    expect(isLanguageTag(tag('aaaaa'))).toBe(true);
    expect(isLanguageTag(tag('aaaaaa'))).toBe(false);
    expect(isLanguageTag(`en-x-${'aaaaaaaa-'.repeat(2000)}a`)).toBe(false);
  });
});
