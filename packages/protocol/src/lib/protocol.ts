/**
 * A protocol described as data: its name, version, one discriminated union per
 * direction and its plain HTTP bodies. Parsers, tests and the JSON Schema export
 * all walk this description, so a new message type is picked up everywhere.
 */
import type { z } from 'zod';
import { PROTOCOL_VERSIONS, type ProtocolName } from './versions.js';

/** A message schema: a zod object whose `type` is a string literal. */
export type MessageSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape>;

/** A direction of a protocol: a discriminated union of message schemas on `type`. */
export type DirectionUnion = z.ZodDiscriminatedUnion<readonly MessageSchema[], 'type'>;

/** Definition passed to {@link defineProtocol}. */
export interface ProtocolSpec<
  N extends ProtocolName,
  D extends Record<string, DirectionUnion>,
  B extends Record<string, z.ZodType>,
> {
  name: N;
  /** One union per direction, keyed by a name such as `toWorker`. */
  directions: D;
  /** Plain HTTP JSON bodies (no envelope), keyed by a dotted name (default none). */
  bodies?: B;
}

/** A protocol as returned by {@link defineProtocol}; frozen. */
export interface Protocol<
  N extends ProtocolName = ProtocolName,
  D extends Record<string, DirectionUnion> = Record<string, DirectionUnion>,
  B extends Record<string, z.ZodType> = Record<string, z.ZodType>,
> {
  readonly name: N;
  /** The protocol's integer version (from `versions.ts`). */
  readonly version: number;
  readonly directions: Readonly<D>;
  readonly bodies: Readonly<B>;
  /** Every message type of every direction with its schema (a type sent both ways appears once). */
  readonly types: ReadonlyMap<string, MessageSchema>;
  /** Message types accepted in each direction. */
  readonly typesByDirection: Readonly<Record<keyof D & string, ReadonlySet<string>>>;
}

/** Message type literal of a message schema. */
export function messageTypeOf(schema: MessageSchema): string {
  return schema.shape.type.value as string;
}

/**
 * Describes a protocol. Throws at module load (a programming error) when two
 * directions carry the same type with different schemas.
 */
export function defineProtocol<
  const N extends ProtocolName,
  D extends Record<string, DirectionUnion>,
  B extends Record<string, z.ZodType> = Record<never, z.ZodType>,
>(spec: ProtocolSpec<N, D, B>): Protocol<N, D, B> {
  const types = new Map<string, MessageSchema>();
  const typesByDirection: Record<string, ReadonlySet<string>> = {};
  for (const [direction, union] of Object.entries(spec.directions)) {
    const names = new Set<string>();
    for (const option of union.options) {
      const type = messageTypeOf(option);
      const known = types.get(type);
      if (known !== undefined && known !== option) {
        throw new Error(`${spec.name}: type ${type} has two different schemas`);
      }
      types.set(type, option);
      names.add(type);
    }
    typesByDirection[direction] = names;
  }
  return Object.freeze({
    name: spec.name,
    version: PROTOCOL_VERSIONS[spec.name],
    directions: Object.freeze({ ...spec.directions }),
    bodies: Object.freeze({ ...(spec.bodies ?? ({} as B)) }),
    types,
    typesByDirection: Object.freeze(typesByDirection) as Protocol<N, D, B>['typesByDirection'],
  });
}

/** The message type (parsed output) of direction `K` of protocol `P`. */
export type MessageOf<P extends Protocol, K extends keyof P['directions']> = z.output<P['directions'][K]>;

/** Any message of protocol `P`, in any direction. */
export type AnyMessageOf<P extends Protocol> = { [K in keyof P['directions']]: MessageOf<P, K> }[keyof P['directions']];

/** The body type named `K` of protocol `P`. */
export type BodyOf<P extends Protocol, K extends keyof P['bodies']> = z.output<P['bodies'][K]>;

/** The member of message union `U` whose type is `T`. */
export type MessageOfType<U extends { type: string }, T extends U['type']> = Extract<U, { type: T }>;
