/**
 * JSON Schema (draft 2020-12) of every message, generated from the zod schemas with
 * `z.toJSONSchema`, for peers written in other languages. Pure: the bin script
 * `src/bin/export-json-schema.ts` writes the files.
 *
 * Layout, relative to the output folder:
 *
 * - `<protocol>/<type>.schema.json`: one message type;
 * - `<protocol>/bodies/<name>.schema.json`: one plain HTTP body;
 * - `<protocol>/<direction>.union.schema.json`: everything one side may receive;
 * - `index.json`: the list of all of the above with protocol versions.
 *
 * Refinements that JSON Schema cannot state (e.g. argv[0] non-empty) are only in zod.
 */
import { z } from 'zod';
import { ALL_PROTOCOLS } from './protocols.js';
import type { Protocol } from './protocol.js';

/** One generated schema and where it goes. */
export interface JsonSchemaEntry {
  protocol: string;
  /** `message` (one type), `body` (plain HTTP body) or `direction` (a whole union). */
  kind: 'message' | 'body' | 'direction';
  /** Message type, body name or direction name. */
  name: string;
  /** Path relative to the output folder, with `/` separators. */
  file: string;
  schema: Record<string, unknown>;
}

/** Content of `index.json`. */
export interface JsonSchemaIndex {
  protocols: { name: string; version: number }[];
  schemas: Omit<JsonSchemaEntry, 'schema'>[];
}

function toJsonSchema(schema: z.ZodType, title: string, description?: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return { ...json, title, ...(description === undefined ? {} : { description }) };
}

/** Every JSON Schema of `protocols` (default: all of them), in a stable order. */
export function jsonSchemas(protocols: readonly Protocol[] = ALL_PROTOCOLS): JsonSchemaEntry[] {
  const entries: JsonSchemaEntry[] = [];
  for (const protocol of protocols) {
    const p = protocol.name;
    for (const [type, schema] of [...protocol.types].sort(([a], [b]) => a.localeCompare(b))) {
      entries.push({
        protocol: p,
        kind: 'message',
        name: type,
        file: `${p}/${type}.schema.json`,
        schema: toJsonSchema(schema, `${p} ${type}`, `Bosun ${p} protocol v${protocol.version}: ${type} message.`),
      });
    }
    for (const [name, schema] of Object.entries(protocol.bodies).sort(([a], [b]) => a.localeCompare(b))) {
      entries.push({
        protocol: p,
        kind: 'body',
        name,
        file: `${p}/bodies/${name}.schema.json`,
        schema: toJsonSchema(schema, `${p} body ${name}`, `Bosun ${p} protocol: ${name} HTTP body (no envelope).`),
      });
    }
    for (const [direction, union] of Object.entries(protocol.directions)) {
      entries.push({
        protocol: p,
        kind: 'direction',
        name: direction,
        file: `${p}/${direction}.union.schema.json`,
        schema: toJsonSchema(union, `${p} ${direction}`, `Bosun ${p} protocol v${protocol.version}: any message sent ${direction}.`),
      });
    }
  }
  return entries;
}

/** The `index.json` describing `entries`. */
export function jsonSchemaIndex(
  entries: readonly JsonSchemaEntry[],
  protocols: readonly Protocol[] = ALL_PROTOCOLS,
): JsonSchemaIndex {
  return {
    protocols: protocols.map((p) => ({ name: p.name, version: p.version })),
    schemas: entries.map(({ schema: _schema, ...rest }) => rest),
  };
}
