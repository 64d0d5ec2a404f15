import { describe, expect, it } from 'vitest';
import {
  findVariables,
  interpolate,
  miscasedVariables,
  type RenderContext,
  STANDARD_CONTACT_VARIABLES,
  SYSTEM_VARIABLES,
  unknownVariables,
} from './variables';

const now = new Date('2025-03-09T23:30:00Z');

function context(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    contact: {
      id: '0b7c1f3e-2a41-4c3e-9d0a-5f2f7e6b8a11',
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      phone: '+447700900123',
      country: null,
      language: '',
      customFields: { favorite_color: 'green', plan: 'pro' },
    },
    trigger: { order_id: 'A-17' },
    now,
    timezone: 'UTC',
    ...overrides,
  };
}

describe('findVariables', () => {
  it('finds contact, system and trigger variables with their offsets', () => {
    const text = 'Hi $contact.firstname, today is $system.current_date ($trigger.order_id)';
    const refs = findVariables(text);
    expect(refs.map((ref) => [ref.namespace, ref.key])).toEqual([
      ['contact', 'firstname'],
      ['system', 'current_date'],
      ['trigger', 'order_id'],
    ]);
    for (const ref of refs) expect(text.slice(ref.start, ref.end)).toBe(ref.raw);
  });

  it('leaves prices and unknown namespaces alone', () => {
    expect(findVariables('It costs $5.00, see $foo.bar or $snippet.greeting')).toEqual([]);
  });

  it('stops a key at the first character that cannot be in a key', () => {
    const [ref] = findVariables('Dear $contact.firstname!');
    expect(ref?.key).toBe('firstname');
    expect(ref?.raw).toBe('$contact.firstname');
  });

  it('does not treat a dot followed by a digit as a key', () => {
    expect(findVariables('$contact.1st')).toEqual([]);
  });

  it('finds nothing in text without a dollar sign', () => {
    expect(findVariables('plain text')).toEqual([]);
  });
});

describe('interpolate', () => {
  it('substitutes standard contact fields', () => {
    expect(interpolate('$contact.firstname $contact.lastname <$contact.email>', context())).toBe(
      'Ada Lovelace <ada@example.com>',
    );
  });

  it('substitutes every standard contact field, id and full name included', () => {
    const ctx = context({
      contact: { ...context().contact, country: 'GB', language: 'en-GB' },
    });
    expect(
      interpolate(
        '$contact.id|$contact.name|$contact.phone|$contact.language|$contact.country|$contact.email',
        ctx,
      ),
    ).toBe(
      '0b7c1f3e-2a41-4c3e-9d0a-5f2f7e6b8a11|Ada Lovelace|+447700900123|en-GB|GB|ada@example.com',
    );
  });

  it('makes $contact.name whichever name the contact has, and leaves it as written with none', () => {
    const base = context().contact;
    const only = (contact: RenderContext['contact']) =>
      interpolate('Hi $contact.name', context({ contact }));
    expect(only({ ...base, lastName: null })).toBe('Hi Ada');
    expect(only({ ...base, firstName: null })).toBe('Hi Lovelace');
    expect(only({ ...base, firstName: null, lastName: '' })).toBe('Hi $contact.name');
  });

  it('publishes $contact.id and $contact.name without an unknown-variable warning', () => {
    expect(unknownVariables('$contact.id $contact.name $contact.Phone', new Set())).toEqual([]);
  });

  it('matches standard contact keys regardless of case', () => {
    expect(interpolate('$contact.firstName / $contact.FIRSTNAME', context())).toBe('Ada / Ada');
  });

  it('substitutes custom fields by their key', () => {
    expect(interpolate('You like $contact.favorite_color', context())).toBe('You like green');
  });

  it('keeps a variable with no value literally as written', () => {
    expect(interpolate('From $contact.country in $contact.language', context())).toBe(
      'From $contact.country in $contact.language',
    );
  });

  it('keeps an unknown custom field literal', () => {
    expect(interpolate('$contact.shoe_size', context())).toBe('$contact.shoe_size');
  });

  it('never reads inherited object properties as values', () => {
    expect(interpolate('$contact.constructor $trigger.toString', context())).toBe(
      '$contact.constructor $trigger.toString',
    );
  });

  it('substitutes trigger values and keeps missing ones literal', () => {
    expect(interpolate('Order $trigger.order_id, $trigger.coupon', context())).toBe(
      'Order A-17, $trigger.coupon',
    );
  });

  it('keeps trigger variables literal when the run has no trigger values', () => {
    expect(interpolate('$trigger.order_id', context({ trigger: undefined }))).toBe(
      '$trigger.order_id',
    );
  });

  it('renders system dates in the workspace timezone', () => {
    const text = '$system.current_date $system.current_time|$system.current_datetime';
    expect(interpolate(text, context())).toBe('2025-03-09 23:30|2025-03-09 23:30');
    expect(interpolate(text, context({ timezone: 'Asia/Tokyo' }))).toBe(
      '2025-03-10 08:30|2025-03-10 08:30',
    );
  });

  it('keeps an unknown system variable literal', () => {
    expect(interpolate('$system.weekday', context())).toBe('$system.weekday');
  });

  it('escapes substituted values only, not the surrounding text', () => {
    const ctx = context({ contact: { firstName: '<b>Tom & Jerry</b>' } });
    const escapeHtml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    expect(interpolate('<p>Hi $contact.firstname</p>', ctx, escapeHtml)).toBe(
      '<p>Hi &lt;b>Tom &amp; Jerry&lt;/b></p>',
    );
  });

  it('does not escape a variable that stays literal', () => {
    expect(interpolate('$contact.country', context(), () => 'ESCAPED')).toBe('$contact.country');
  });

  it('does not re-interpret variables inside substituted values', () => {
    const ctx = context({ contact: { firstName: '$contact.email', email: 'x@example.com' } });
    expect(interpolate('Hi $contact.firstname', ctx)).toBe('Hi $contact.email');
  });

  it('keeps emojis and surrounding text intact', () => {
    expect(interpolate('👋 $contact.firstname 🎉', context())).toBe('👋 Ada 🎉');
  });
});

describe('unknownVariables', () => {
  const known = new Set(['favorite_color']);

  it('accepts standard contact fields in any case and known custom fields', () => {
    expect(
      unknownVariables('$contact.firstName $contact.email $contact.favorite_color', known),
    ).toEqual([]);
  });

  it('flags contact keys that are neither standard nor known custom fields', () => {
    expect(
      unknownVariables('$contact.shoe_size and $contact.Favorite_Color', known).map((r) => r.raw),
    ).toEqual(['$contact.shoe_size', '$contact.Favorite_Color']);
  });

  it('flags unknown system variables', () => {
    expect(
      unknownVariables('$system.current_date $system.tomorrow', known).map((r) => r.raw),
    ).toEqual(['$system.tomorrow']);
  });

  it('always accepts trigger variables', () => {
    expect(unknownVariables('$trigger.anything_at_all', known)).toEqual([]);
  });
});

describe('miscasedVariables', () => {
  it('finds references whose namespace is not lower case, which are plain text', () => {
    const text = 'Hi $Contact.firstName, it is $SYSTEM.current_date ($Trigger.code) $contact.email';
    expect(miscasedVariables(text).map(({ raw, namespace, key }) => [raw, namespace, key])).toEqual(
      [
        ['$Contact.firstName', 'contact', 'firstName'],
        ['$SYSTEM.current_date', 'system', 'current_date'],
        ['$Trigger.code', 'trigger', 'code'],
      ],
    );
    // Interpolation leaves them as written: they are not variables.
    expect(interpolate('Hi $Contact.firstname', context())).toBe('Hi $Contact.firstname');
    expect(miscasedVariables('$contact.firstname $system.current_time $5.00 $Foo.bar')).toEqual([]);
  });
});

describe('variable lists', () => {
  it('lists the standard contact fields and system variables', () => {
    expect(STANDARD_CONTACT_VARIABLES).toEqual([
      'id',
      'name',
      'firstname',
      'lastname',
      'email',
      'phone',
      'country',
      'language',
    ]);
    expect(SYSTEM_VARIABLES).toEqual(['current_date', 'current_time', 'current_datetime']);
  });
});
