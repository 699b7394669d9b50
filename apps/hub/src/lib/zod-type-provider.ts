/**
 * Route validation with zod: a fastify type provider (route handlers see the schemas'
 * output types) and a validator compiler that turns the first zod issue into a
 * {@link BosunError} `invalid_field` naming the field, so every plugin answers bad
 * input with the one error body. Written here rather than taken from
 * fastify-type-provider-zod, whose peers (@fastify/swagger, openapi-types) the hub does
 * not otherwise need.
 */
import { BosunError } from '@bosun/protocol';
import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import type { z } from 'zod';

/** Fastify type provider for zod schemas. */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** Validator compiler for zod schemas: `{ value }` (parsed, defaults applied) or a BosunError `invalid_field`. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const r = schema.safeParse(data);
    if (r.success) return { value: r.data };
    const issue = r.error.issues[0];
    const path = (issue?.path ?? []).map((k) => (typeof k === 'symbol' ? String(k) : k));
    return { error: new BosunError('invalid_field', issue?.message ?? 'invalid', { details: { path } }) };
  };
