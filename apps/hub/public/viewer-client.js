// Checks viewer-protocol frames in the page against the schemas the hub generated from
// @bosun/protocol (/viewer-protocol.js): known type for the direction, matching `v`,
// required fields present, no unknown fields, and the JSON types of the fields.
import { VIEWER_DIRECTIONS, VIEWER_PROTOCOL_VERSION, VIEWER_SCHEMAS } from './viewer-protocol.js';

const typeOf = (value) => (value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value);
const accepts = (schema, value) => {
  if (!schema) return false;
  if (schema.anyOf) return schema.anyOf.some((s) => accepts(s, value));
  if (schema.const !== undefined) return value === schema.const;
  if (schema.enum) return schema.enum.includes(value);
  if (!schema.type) return true;
  const t = typeOf(value);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.includes(t) || (t === 'integer' && types.includes('number'));
};

/** Parses one hub → viewer text frame; returns the message or throws an Error naming the fault. */
export function parseHubFrame(text) {
  const msg = JSON.parse(text);
  if (!VIEWER_DIRECTIONS.toViewer.includes(msg?.type)) throw new Error(`unknown frame type ${msg?.type}`);
  if (msg.v !== VIEWER_PROTOCOL_VERSION) throw new Error(`unsupported viewer protocol version ${msg.v}`);
  const schema = VIEWER_SCHEMAS[msg.type];
  for (const key of schema.required ?? []) if (!(key in msg)) throw new Error(`${msg.type}: missing ${key}`);
  for (const [key, value] of Object.entries(msg)) {
    if (!accepts(schema.properties?.[key], value)) throw new Error(`${msg.type}: bad field ${key}`);
  }
  return msg;
}

/** A viewer → hub control frame as text. */
export function viewerFrame(type, fields) {
  if (!VIEWER_DIRECTIONS.toHub.includes(type)) throw new Error(`not a viewer frame: ${type}`);
  return JSON.stringify({ v: VIEWER_PROTOCOL_VERSION, type, ...fields });
}
