/**
 * One-shot job input and output (plain JSON documents: `POST /v1/jobs` body and the
 * finished job's result). Field names are snake_case: that is the contract jobs
 * clients already speak.
 */
import { z } from 'zod';
import { Base64Schema, CountSchema, EnvSchema, RelativePathSchema, ResourceIdSchema } from '../fields.js';

/** A file written into the job's work directory before it runs. */
export const JobFileSchema = z.union([
  z.strictObject({
    path: RelativePathSchema,
    content: z.string(),
    /** Default `utf8`. */
    encoding: z.literal('utf8').optional(),
  }),
  z.strictObject({ path: RelativePathSchema, content: Base64Schema, encoding: z.literal('base64') }),
]);
/** A {@link JobFileSchema} value. */
export type JobFile = z.infer<typeof JobFileSchema>;

/** Limits of a job; absent fields mean the runner's configured defaults. */
export const JobLimitsSchema = z.strictObject({
  /** Wall-clock limit in seconds (1..86400). */
  timeout_s: z.int().min(1).max(86_400).optional(),
  memory_mb: z.int().min(4).max(1_048_576).optional(),
  cpus: z.number().positive().max(1024).optional(),
  pids: z.int().min(1).max(1_000_000).optional(),
  /** Cap on stdout plus stderr kept, in bytes. */
  output_bytes: CountSchema.optional(),
});
/** A {@link JobLimitsSchema} value. */
export type JobLimits = z.infer<typeof JobLimitsSchema>;

/** Where and how a job runs. */
export const JobConfigSchema = z.strictObject({
  /** Default: the runner's job image (or the process driver when none). */
  image: z.string().min(1).max(512).optional(),
  /** Default `none`: jobs get no network unless asked. */
  network: z.enum(['none', 'bridge']).optional(),
  env: EnvSchema.optional(),
});
/** A {@link JobConfigSchema} value. */
export type JobConfig = z.infer<typeof JobConfigSchema>;

/** A job to run: a shell command line (run by `sh -c`) or an argv. */
export const JobInputSchema = z.strictObject({
  job_id: ResourceIdSchema,
  command: z.union([z.string().min(1).max(65_536), z.array(z.string().max(65_536)).min(1).max(1024)]),
  files: z.array(JobFileSchema).max(1000).optional(),
  limits: JobLimitsSchema.optional(),
  config: JobConfigSchema.optional(),
});
/** A {@link JobInputSchema} value. */
export type JobInput = z.infer<typeof JobInputSchema>;

/**
 * How a job ended: `finished` (the command exited, whatever its code), `failed`
 * (the runner could not run it), `timeout` (killed at `timeout_s`).
 */
export const JobEndStatusSchema = z.enum(['finished', 'failed', 'timeout']);
/** A {@link JobEndStatusSchema} value. */
export type JobEndStatus = z.infer<typeof JobEndStatusSchema>;

/** A file the job left in its work directory, collected after it ended. */
export const JobArtifactSchema = z.strictObject({
  path: RelativePathSchema,
  size: CountSchema,
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
/** A {@link JobArtifactSchema} value. */
export type JobArtifact = z.infer<typeof JobArtifactSchema>;

/** Resource use of a finished job. */
export const JobMetricsSchema = z.strictObject({
  duration_ms: CountSchema,
  cpu_ms: CountSchema.optional(),
  max_rss_bytes: CountSchema.optional(),
});
/** A {@link JobMetricsSchema} value. */
export type JobMetrics = z.infer<typeof JobMetricsSchema>;

/** The result of a job. */
export const JobOutputSchema = z.strictObject({
  job_id: ResourceIdSchema,
  status: JobEndStatusSchema,
  /** Null when the command never ran or was killed. */
  exit_code: z.int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  artifacts: z.array(JobArtifactSchema),
  metrics: JobMetricsSchema,
});
/** A {@link JobOutputSchema} value. */
export type JobOutput = z.infer<typeof JobOutputSchema>;
