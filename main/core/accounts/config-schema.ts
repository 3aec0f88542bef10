/**
 * The published JSON Schema of config.json, generated from the same zod definition that
 * validates it (so the two cannot drift). Checked in as `schema/config.schema.json` and written
 * next to each config.json, which points at it through `"$schema"` so editors validate offline.
 * @see https://json-schema.org/draft/2020-12
 */
import * as z from 'zod';
import { EXTRA_PARAM_NAME, MAX_EXTRA_PARAMS, RESERVED_REQUEST_PARAMS } from '../../shared/request-params.js';
import { configSchema, extraParamsSchema, providerSchema } from './model.js';

export const CONFIG_SCHEMA_ID = 'https://github.com/token-broker/token-broker/schema/config.schema.json';

/** JSON Schema (draft 2020-12) of config.json as a user writes it (defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      // zod refinements are code, not schema: restate the provider rule so editors check it too.
      if (ctx.zodSchema === providerSchema) ctx.jsonSchema.anyOf = [{ required: ['issuer'] }, { required: ['tokenEndpoint'] }];
      if (ctx.zodSchema === extraParamsSchema) {
        ctx.jsonSchema.maxProperties = MAX_EXTRA_PARAMS;
        ctx.jsonSchema.propertyNames = { type: 'string', pattern: EXTRA_PARAM_NAME.source, not: { enum: [...RESERVED_REQUEST_PARAMS] } };
      }
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: CONFIG_SCHEMA_ID,
    title: 'Token Broker configuration (config.json)',
    description:
      'Non-secret account configuration of Token Broker. Secrets (client secrets, private keys, tokens) never go here; they live in the encrypted vault.',
    ...rest,
  };
}

/** The exact text of `schema/config.schema.json`: 2-space JSON with a trailing newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
