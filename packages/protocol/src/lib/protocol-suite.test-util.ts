/**
 * The checks every protocol gets, driven by its description and a table of valid
 * examples (one per message type and per body). A type without an example fails
 * the coverage test, so a new message cannot ship untested.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProtocolError } from './errors.js';
import { parseBody, parseBodyOrThrow, parseMessage, parseMessageOrThrow } from './parse.js';
import type { Protocol } from './protocol.js';

/** A valid message: a plain JSON object with `v` and `type`. */
export type Example = Record<string, unknown> & { type: string };

/** The examples of one protocol: one per message type, one per body name. */
export interface ProtocolExamples {
  messages: Record<string, Example>;
  bodies?: Record<string, unknown>;
}

const isOptional = (schema: z.ZodType): boolean => schema.safeParse(undefined).success;

/** Required fields of a message's schema other than the envelope's `v` and `type`. */
function requiredFields(protocol: Protocol, type: string): string[] {
  const schema = protocol.types.get(type);
  if (schema === undefined) return [];
  return Object.entries(schema.shape)
    .filter(([key, field]) => key !== 'v' && key !== 'type' && !isOptional(field as z.ZodType))
    .map(([key]) => key);
}

function directionsOf(protocol: Protocol, type: string): string[] {
  return Object.entries(protocol.typesByDirection)
    .filter(([, types]) => types.has(type))
    .map(([direction]) => direction);
}

function expectError(result: { ok: boolean; error?: ProtocolError }): ProtocolError {
  expect(result.ok).toBe(false);
  expect(result.error).toBeInstanceOf(ProtocolError);
  return result.error as ProtocolError;
}

const errorSchemaOf = (protocol: Protocol) => protocol.types.get('error') as z.ZodType;

/** Runs the shared suite for `protocol`. */
export function describeProtocol(protocol: Protocol, examples: ProtocolExamples): void {
  const types = [...protocol.types.keys()].sort();
  const bodies = Object.keys(protocol.bodies).sort();

  describe(`${protocol.name} protocol`, () => {
    it('has exactly one valid example per message type when the table is complete', () => {
      expect(Object.keys(examples.messages).sort()).toEqual(types);
      for (const [type, example] of Object.entries(examples.messages)) expect(example.type).toBe(type);
    });

    it('has exactly one valid example per body when the table is complete', () => {
      expect(Object.keys(examples.bodies ?? {}).sort()).toEqual(bodies);
    });

    it('carries its version constant in every example', () => {
      for (const example of Object.values(examples.messages)) expect(example['v']).toBe(protocol.version);
    });

    it('lists each direction as a discriminated union without a catch-all when built', () => {
      for (const union of Object.values(protocol.directions)) {
        expect(union).toBeInstanceOf(z.ZodDiscriminatedUnion);
        for (const option of union.options) expect(typeof option.shape.type.value).toBe('string');
      }
    });

    describe.each(types)('message %s', (type) => {
      const example = (): Example => structuredClone(examples.messages[type] as Example);
      const directions = directionsOf(protocol, type);

      it('parses and round-trips through JSON unchanged when valid', () => {
        const text = JSON.stringify(example());
        for (const raw of [text, new TextEncoder().encode(text), example()]) {
          const result = parseMessage(protocol, raw);
          expect(result).toEqual({ ok: true, message: example() });
        }
        for (const direction of directions) {
          const result = parseMessage(protocol, text, { direction });
          expect(result.ok).toBe(true);
          if (result.ok) expect(JSON.parse(JSON.stringify(result.message))).toEqual(example());
        }
        expect(parseMessageOrThrow(protocol, text)).toEqual(example());
      });

      it('answers unknown_type when received in a direction that does not carry it', () => {
        for (const direction of Object.keys(protocol.directions).filter((d) => !directions.includes(d))) {
          const error = expectError(parseMessage(protocol, example(), { direction }));
          expect(error.code).toBe('unknown_type');
          expect(error.path).toEqual(['type']);
        }
      });

      it('answers invalid_field with the field path when a required field is missing', () => {
        for (const field of requiredFields(protocol, type)) {
          const message = example();
          delete message[field];
          const error = expectError(parseMessage(protocol, message));
          expect(error.code).toBe('invalid_field');
          expect(error.path).toEqual([field]);
        }
      });

      it('answers invalid_field with the field path when a field has the wrong type', () => {
        let checked = 0;
        for (const field of requiredFields(protocol, type)) {
          const message = example();
          message[field] = typeof message[field] === 'string' ? 42 : 'wrong';
          const result = parseMessage(protocol, message);
          if (result.ok) continue; // an opaque field takes anything
          checked++;
          expect(result.error.code).toBe('invalid_field');
          expect(result.error.path[0]).toBe(field);
          if (typeof message['id'] === 'string' && field !== 'id') expect(result.error.id).toBe(message['id']);
        }
        if (requiredFields(protocol, type).some((f) => f !== 'result')) expect(checked).toBeGreaterThan(0);
      });

      it('answers invalid_field naming the field when an unknown field is added', () => {
        const message = { ...example(), unexpectedField: 1 };
        const error = expectError(parseMessage(protocol, message));
        expect(error.code).toBe('invalid_field');
        expect(error.path).toEqual(['unexpectedField']);
      });

      it('answers unknown_type when the type is not in the protocol', () => {
        const error = expectError(parseMessage(protocol, { ...example(), type: `${type}.nope` }));
        expect(error.code).toBe('unknown_type');
        expect(error.path).toEqual(['type']);
        expect(error.toWire()).toMatchObject({ v: protocol.version, type: 'error', code: 'unknown_type' });
      });

      it('answers unsupported_version and keeps the id when v is another version', () => {
        const message: Example = { ...example(), v: protocol.version + 1 };
        const error = expectError(parseMessage(protocol, JSON.stringify(message)));
        expect(error.code).toBe('unsupported_version');
        expect(error.path).toEqual(['v']);
        expect(error.id).toBe(typeof message['id'] === 'string' ? message['id'] : undefined);
        const wire = error.toWire();
        expect(errorSchemaOf(protocol).safeParse(wire).success).toBe(true);
        expect(wire.id).toBe(error.id);
      });

      it('answers too_large when the message exceeds maxBytes', () => {
        const text = JSON.stringify(example());
        const size = new TextEncoder().encode(text).byteLength;
        expect(expectError(parseMessage(protocol, text, { maxBytes: size - 1 })).code).toBe('too_large');
        expect(parseMessage(protocol, text, { maxBytes: size }).ok).toBe(true);
        const bytes = new TextEncoder().encode(text);
        expect(expectError(parseMessage(protocol, bytes, { maxBytes: size - 1 })).code).toBe('too_large');
      });

      it('throws only ProtocolError from the throwing variant when invalid', () => {
        expect(() => parseMessageOrThrow(protocol, { ...example(), v: 0 })).toThrow(ProtocolError);
      });
    });

    describe.each(bodies)('body %s', (name) => {
      const example = () => structuredClone((examples.bodies ?? {})[name]);

      it('parses and round-trips through JSON unchanged when valid', () => {
        const text = JSON.stringify(example());
        expect(parseBody(protocol, name, text)).toEqual({ ok: true, message: example() });
        expect(parseBodyOrThrow(protocol, name, example())).toEqual(example());
      });

      it('answers invalid_field with the field path when a required field is missing', () => {
        const value = example();
        if (typeof value !== 'object' || value === null) return;
        const schema = protocol.bodies[name] as z.ZodType;
        for (const field of Object.keys(value)) {
          const copy = { ...(value as Record<string, unknown>) };
          delete copy[field];
          if (schema.safeParse(copy).success) continue;
          const error = expectError(parseBody(protocol, name, copy));
          expect(error.code).toBe('invalid_field');
          expect(error.path[0]).toBe(field);
        }
      });

      it('answers invalid_json and too_large when the raw text is bad', () => {
        expect(expectError(parseBody(protocol, name, '{"a":')).code).toBe('invalid_json');
        const text = JSON.stringify(example());
        expect(expectError(parseBody(protocol, name, text, { maxBytes: 1 })).code).toBe('too_large');
      });
    });

    describe('parsers under fuzzing', () => {
      const directions = [undefined, ...Object.keys(protocol.directions)];
      const exampleList = Object.values(examples.messages);
      const raw = fc.oneof(
        fc.json(),
        fc.string(),
        fc.uint8Array({ maxLength: 256 }),
        fc.anything(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        // Valid messages with one field replaced or added: reaches deep into the schemas.
        fc
          .tuple(
            fc.constantFrom(...exampleList),
            fc.string({ maxLength: 12 }),
            fc.jsonValue({ maxDepth: 3 }),
            fc.boolean(),
          )
          .map(([example, key, value, useExisting]) => {
            const keys = Object.keys(example);
            const k = useExisting ? (keys[key.length % keys.length] as string) : key;
            return { ...example, [k]: value };
          }),
      );

      it('never throws from parseMessage when fed random input', () => {
        fc.assert(
          fc.property(raw, fc.constantFrom(...directions), (input, direction) => {
            const result = parseMessage(protocol, input, direction === undefined ? {} : { direction });
            if (!result.ok) {
              expect(result.error).toBeInstanceOf(ProtocolError);
              expect(errorSchemaOf(protocol).safeParse(result.error.toWire()).success).toBe(true);
            }
          }),
          { numRuns: 300 },
        );
      });

      it('throws nothing but ProtocolError from parseMessageOrThrow when fed random input', () => {
        fc.assert(
          fc.property(raw, (input) => {
            try {
              parseMessageOrThrow(protocol, input);
            } catch (err) {
              expect(err).toBeInstanceOf(ProtocolError);
            }
          }),
          { numRuns: 200 },
        );
      });

      if (bodies.length > 0) {
        it('never throws from parseBody when fed random input', () => {
          fc.assert(
            fc.property(raw, fc.constantFrom(...bodies), (input, name) => {
              const result = parseBody(protocol, name, input);
              if (!result.ok) expect(result.error).toBeInstanceOf(ProtocolError);
            }),
            { numRuns: 300 },
          );
        });
      }
    });
  });
}
