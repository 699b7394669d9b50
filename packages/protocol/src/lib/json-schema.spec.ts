import { describe, expect, it } from 'vitest';
import { hubExamples } from './hub/examples.test-util.js';
import { jobsExamples } from './jobs/examples.test-util.js';
import { jsonSchemaIndex, jsonSchemas } from './json-schema.js';
import { nodeAgentExamples } from './node-agent/examples.test-util.js';
import type { ProtocolExamples } from './protocol-suite.test-util.js';
import { sshAgentExamples } from './ssh-agent/examples.test-util.js';
import { workerExamples } from './worker/examples.test-util.js';
import { viewerExamples } from './viewer/examples.test-util.js';

const examples: Record<string, ProtocolExamples> = {
  worker: { messages: workerExamples },
  'node-agent': nodeAgentExamples,
  'ssh-agent': sshAgentExamples,
  jobs: jobsExamples,
  hub: hubExamples,
  viewer: viewerExamples,
};

describe('jsonSchemas', () => {
  const entries = jsonSchemas();

  it('gives unique file names when generated', () => {
    const files = entries.map((e) => e.file);
    expect(new Set(files).size).toBe(files.length);
  });

  it('requires only fields the valid example has and knows all its fields when a message schema is generated', () => {
    for (const entry of entries.filter((e) => e.kind === 'message')) {
      const example = examples[entry.protocol]?.messages[entry.name] as Record<string, unknown>;
      const schema = entry.schema as { properties: Record<string, unknown>; required: string[] };
      for (const key of Object.keys(example)) expect(schema.properties, `${entry.file} ${key}`).toHaveProperty([key]);
      for (const key of schema.required) expect(example, `${entry.file} ${key}`).toHaveProperty([key]);
    }
  });

  it('describes a union of every type when a direction schema is generated', () => {
    for (const entry of entries.filter((e) => e.kind === 'direction')) {
      const options = (entry.schema['oneOf'] ?? entry.schema['anyOf']) as unknown[];
      expect(Array.isArray(options)).toBe(true);
      expect(options.length).toBeGreaterThan(1);
    }
  });

  it('drops the schemas from the index when building it', () => {
    const index = jsonSchemaIndex(entries);
    expect(index.schemas).toHaveLength(entries.length);
    expect(index.schemas[0]).not.toHaveProperty('schema');
  });
});
