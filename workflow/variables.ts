import { formatSystemVariable, SYSTEM_VARIABLES, type SystemVariable } from './system-time';

export { SYSTEM_VARIABLES };

/**
 * Contact fields every contact has; `$contact.<other key>` refers to a custom field. `name` is
 * the first and last name joined by a space (either alone when the other is missing); `id` is
 * the contact's id.
 */
export const STANDARD_CONTACT_VARIABLES = [
  'id',
  'name',
  'firstname',
  'lastname',
  'email',
  'phone',
  'country',
  'language',
] as const;
export type StandardContactVariable = (typeof STANDARD_CONTACT_VARIABLES)[number];

/** Where a variable's value comes from: the contact, the clock, or the run's trigger values. */
export const VARIABLE_NAMESPACES = ['contact', 'system', 'trigger'] as const;
export type VariableNamespace = (typeof VARIABLE_NAMESPACES)[number];

/** One `$namespace.key` occurrence; `start`/`end` are UTF-16 offsets into the text. */
export interface VariableRef {
  raw: string;
  namespace: VariableNamespace;
  key: string;
  start: number;
  end: number;
}

/** The contact values a message can interpolate. */
export interface ContactFields {
  id?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  country?: string | null;
  language?: string | null;
  customFields?: Record<string, string> | null;
}

/** Everything `interpolate` needs: the contact, the run's trigger values, and the clock. */
export interface RenderContext {
  contact: ContactFields;
  trigger?: Record<string, string>;
  now: Date;
  /** The workspace's IANA timezone, for `$system.*`. */
  timezone: string;
}

// Only known namespaces: `$5.00` or `$foo.bar` is ordinary text.
const VARIABLE = /\$(contact|system|trigger)\.([A-Za-z_][A-Za-z0-9_]*)/g;

const STANDARD_KEYS: ReadonlySet<string> = new Set(STANDARD_CONTACT_VARIABLES);
const SYSTEM_KEYS: ReadonlySet<string> = new Set(SYSTEM_VARIABLES);

const CONTACT_FIELD: Record<Exclude<StandardContactVariable, 'name'>, keyof ContactFields> = {
  id: 'id',
  firstname: 'firstName',
  lastname: 'lastName',
  email: 'email',
  phone: 'phone',
  country: 'country',
  language: 'language',
};

/** Every variable reference in `text`, in order. */
export function findVariables(text: string): VariableRef[] {
  const refs: VariableRef[] = [];
  if (!text.includes('$')) return refs;
  for (const match of text.matchAll(VARIABLE)) {
    refs.push({
      raw: match[0],
      namespace: match[1] as VariableNamespace,
      key: match[2]!,
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  return refs;
}

/** The standard contact key `key` names, ignoring case (`firstName` → `firstname`), if any. */
export function standardContactKey(key: string): StandardContactVariable | undefined {
  const lower = key.toLowerCase();
  return STANDARD_KEYS.has(lower) ? (lower as StandardContactVariable) : undefined;
}

function systemKey(key: string): SystemVariable | undefined {
  const lower = key.toLowerCase();
  return SYSTEM_KEYS.has(lower) ? (lower as SystemVariable) : undefined;
}

// Own properties only: `$contact.constructor` must not reach Object.prototype.
function ownValue(record: Record<string, unknown> | null | undefined, key: string): unknown {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** First and last name, space-joined; whichever exists when only one does. */
function fullName(contact: ContactFields): string | undefined {
  const parts = [contact.firstName, contact.lastName].filter((part): part is string => !!part);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** The value a variable stands for in `ctx`, or undefined when it has none. */
export function variableValue(ref: VariableRef, ctx: RenderContext): string | undefined {
  switch (ref.namespace) {
    case 'contact': {
      const standard = standardContactKey(ref.key);
      if (standard === 'name') return fullName(ctx.contact);
      if (standard) return asText(ctx.contact[CONTACT_FIELD[standard]]);
      return asText(ownValue(ctx.contact.customFields, ref.key));
    }
    case 'system': {
      const key = systemKey(ref.key);
      return key ? formatSystemVariable(key, ctx.now, ctx.timezone) : undefined;
    }
    case 'trigger':
      return asText(ownValue(ctx.trigger, ref.key));
  }
}

/**
 * Replaces each variable with its value. A variable with no value (missing, null or empty)
 * stays exactly as written, e.g. the literal `$contact.country`. `escapeValue` is applied to
 * substituted values only (e.g. HTML-escaping contact data placed into markup); values are
 * never re-scanned, so a contact value containing `$contact.email` is sent as typed.
 */
export function interpolate(
  text: string,
  ctx: RenderContext,
  escapeValue?: (value: string) => string,
): string {
  const refs = findVariables(text);
  if (refs.length === 0) return text;
  let out = '';
  let last = 0;
  for (const ref of refs) {
    const value = variableValue(ref, ctx);
    out += text.slice(last, ref.start);
    out += value ? (escapeValue ? escapeValue(value) : value) : ref.raw;
    last = ref.end;
  }
  return out + text.slice(last);
}

/**
 * Variables in `text` that can never have a value: contact keys that are neither standard
 * fields nor custom fields the workspace knows, and unknown system keys. Trigger keys are
 * supplied when a run starts, so they are always accepted. Publishing reports these as warnings.
 */
export function unknownVariables(
  text: string,
  knownCustomFields: ReadonlySet<string>,
): VariableRef[] {
  return findVariables(text).filter((ref) => {
    if (ref.namespace === 'contact') {
      return !standardContactKey(ref.key) && !knownCustomFields.has(ref.key);
    }
    if (ref.namespace === 'system') return !systemKey(ref.key);
    return false;
  });
}

// A namespace in another letter case (`$Contact.firstname`, `$SYSTEM.current_date`).
const MISCASED_VARIABLE = /\$(contact|system|trigger)\.([A-Za-z_][A-Za-z0-9_]*)/gi;

/**
 * References written with a namespace in another letter case, such as `$Contact.firstName`:
 * namespaces are lower case, so these are ordinary text, sent as written. Publishing reports
 * them as warnings, as it does variables that can never have a value (keys of standard fields
 * and `$system.*` ignore case; namespaces do not). Each is returned as written, with its
 * offsets and the namespace it was meant to be.
 */
export function miscasedVariables(text: string): VariableRef[] {
  const refs: VariableRef[] = [];
  if (!text.includes('$')) return refs;
  for (const match of text.matchAll(MISCASED_VARIABLE)) {
    const namespace = match[1]!;
    if (namespace === namespace.toLowerCase()) continue;
    refs.push({
      raw: match[0],
      namespace: namespace.toLowerCase() as VariableNamespace,
      key: match[2]!,
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  return refs;
}
