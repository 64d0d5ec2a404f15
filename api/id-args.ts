import SchemaBuilder, {
  BasePlugin,
  createInputValueMapper,
  mapInputFields,
  type PothosInputFieldConfig,
  type PothosInputFieldType,
  type PothosOutputFieldConfig,
  type SchemaTypes,
} from '@pothos/core';
import { idInput } from '../workflow/ids';

/**
 * Every `ID` a client sends, as an argument or anywhere inside an input object (lists
 * included), reaches resolvers in the form rows hold it (`idInput`, workflow/ids.ts): UUIDs are
 * case-insensitive, but resolvers compare ids as text (DataLoader keys, sets of known step ids,
 * stored filters), so an upper-case id would otherwise be "not found" in some places and the
 * same row in others. Graphql-js's built-in ID scalar cannot be replaced (Pothos always builds
 * `GraphQLID`), so this plugin maps arguments the way @pothos/plugin-relay maps global ids.
 */

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      idArgs: IdArgsPlugin<Types>;
    }
  }
}

export const ID_ARGS_PLUGIN = 'idArgs';

export class IdArgsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  private readonly mappingCache = new Map();

  private isId(type: PothosInputFieldType<Types>): boolean {
    if (type.kind === 'List') return this.isId(type.type);
    return type.kind === 'Scalar' && this.buildCache.getTypeConfig(type.ref).name === 'ID';
  }

  override onOutputFieldConfig(
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): PothosOutputFieldConfig<Types> {
    const mappings = mapInputFields(
      fieldConfig.args,
      this.buildCache,
      (input: PothosInputFieldConfig<Types>) => (this.isId(input.type) ? true : null),
      this.mappingCache,
    );
    if (!mappings) return fieldConfig;
    const mapArgs = createInputValueMapper(mappings, (id) => idInput(id as string | number));
    return { ...fieldConfig, argMappers: [...fieldConfig.argMappers, (args) => mapArgs(args)] };
  }
}

SchemaBuilder.registerPlugin(ID_ARGS_PLUGIN, IdArgsPlugin);
