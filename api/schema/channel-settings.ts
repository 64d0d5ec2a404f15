import type { Field, FieldEnum } from '../../edge/channels/definition';
import type { ChannelIntegration } from '../../edge/channels/integration';
import { CHANNEL_INTEGRATIONS } from '../../edge/channels/registry';
import { builder } from '../builder';
import type { IssueList } from '../validation';

/**
 * GraphQL shapes of each integration's settings (readable) and credentials (write-only), built
 * from the field declarations in its definition (edge/channels/<integration>/definition.ts), so
 * a new integration appears here without touching the API. Inputs have one member per
 * integration; the member of the channel's integration applies.
 */

type FieldsBuilder = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];

/** Settings as stored, tagged with the integration that reads them. */
export type TaggedSettings = Record<string, unknown> & { integration: ChannelIntegration };
type Stored = TaggedSettings;

const enums = new Map<string, ReturnType<typeof builder.enumType>>();

/** The GraphQL enum of a field's values, created once per name (SmtpSecurity…). */
function enumFor(values: FieldEnum) {
  let created = enums.get(values.name);
  if (!created) {
    created = builder.enumType(values.name, {
      description: values.description,
      values: Object.fromEntries(
        Object.entries(values.values).map(([value, description]) => [
          value.toUpperCase(),
          { value, description },
        ]),
      ),
    });
    enums.set(values.name, created);
  }
  return created;
}

function graphqlType(field: Field) {
  if (field.type === 'string') return 'String' as const;
  if (field.type === 'int') return 'Int' as const;
  return enumFor(field.type);
}

function inputFields(fields: Readonly<Record<string, Field>>) {
  return (t: FieldsBuilder) =>
    Object.fromEntries(
      Object.entries(fields).map(([key, field]) => [
        key,
        t.field({
          type: graphqlType(field) as 'String',
          required: field.required,
          ...(field.description ? { description: field.description } : {}),
        }),
      ]),
    );
}

/** The output object of an integration's settings; null when it has none (Telegram). */
function settingsOutput(integration: ChannelIntegration) {
  const { settings, api } = integration.definition;
  if (Object.keys(settings).length === 0) return null;
  return builder.objectRef<Stored>(api.settingsType).implement({
    fields: (t) =>
      Object.fromEntries(
        Object.entries(settings).map(([key, field]) => [
          key,
          t.field({
            // Built from data, so the field's TypeScript type cannot be inferred; the GraphQL
            // type, nullability and resolver are exactly those declared by the definition.
            type: graphqlType(field) as 'String',
            nullable: (!field.required || !!field.nullableOutput) as false,
            ...(field.description ? { description: field.description } : {}),
            resolve: (stored: Stored) => (stored[key] ?? null) as string,
          }),
        ]),
      ),
  });
}

const OUTPUTS = new Map(
  CHANNEL_INTEGRATIONS.flatMap((integration) => {
    const output = settingsOutput(integration);
    return output ? [[integration, output] as const] : [];
  }),
);

export const ChannelSettingsUnion = builder.unionType('ChannelSettings', {
  description: "A channel's non-secret settings; null for integrations without any (Telegram).",
  types: [...OUTPUTS.values()],
  resolveType: (settings: TaggedSettings) => settings.integration.definition.api.settingsType,
});

/** A stored settings object ready for the union, or null when the integration has none. */
export function taggedSettings(
  integration: ChannelIntegration | undefined,
  settings: Record<string, unknown>,
): TaggedSettings | null {
  return integration && OUTPUTS.has(integration) ? { ...settings, integration } : null;
}

export const ChannelSettingsInput = builder.inputType('ChannelSettingsInput', {
  description: "Give the member for the channel's integration only.",
  fields: (t) =>
    Object.fromEntries(
      CHANNEL_INTEGRATIONS.filter((integration) => OUTPUTS.has(integration)).map(
        ({ definition }) => [
          definition.api.key,
          t.field({
            type: builder.inputType(`${definition.api.settingsType}Input`, {
              fields: inputFields(definition.settings),
            }),
          }),
        ],
      ),
    ),
});

export const ChannelCredentialsInput = builder.inputType('ChannelCredentialsInput', {
  description:
    "Secrets for the channel's integration (give that member only). Stored encrypted; never returned.",
  fields: (t) =>
    Object.fromEntries(
      CHANNEL_INTEGRATIONS.map(({ definition }) => [
        definition.api.key,
        t.field({
          type: builder.inputType(definition.api.credentialsInput, {
            fields: inputFields(definition.credentials),
          }),
        }),
      ]),
    ),
});

/**
 * Picks the member of a per-integration input that applies to `integration`, recording an
 * issue for members given for other integrations (a likely client mistake that would otherwise
 * be silently dropped).
 */
export function memberFor(
  integration: ChannelIntegration,
  input: Record<string, unknown> | null | undefined,
  path: string,
  issues: IssueList,
): Record<string, unknown> | null {
  if (!input) return null;
  const { key } = integration.definition.api;
  const { label } = integration.definition;
  for (const [member, value] of Object.entries(input)) {
    if (member !== key && value != null) {
      issues.add('INVALID_VALUE', `${path}.${member}`, `Does not apply to a ${label} channel`);
    }
  }
  const member = input[key];
  return member && typeof member === 'object' ? (member as Record<string, unknown>) : null;
}

/** The path of an integration's member in the settings or credentials input. */
export function memberPath(
  integration: ChannelIntegration,
  root: 'settings' | 'credentials',
): string {
  return `${root}.${integration.definition.api.key}`;
}
