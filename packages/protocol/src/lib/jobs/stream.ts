/**
 * The job stream (WebSocket `/v1/jobs/stream`): a client subscribes to jobs and
 * receives their status, output and completion. Types are snake_case (contract).
 */
import { z } from 'zod';
import { errorSchema, eventSchema, optionalIdSchema } from '../envelope.js';
import { CountSchema, DetailSchema, ErrorCodeSchema, ResourceIdSchema, TimestampSchema } from '../fields.js';
import { defineProtocol } from '../protocol.js';
import { JOBS_PROTOCOL_VERSION as V } from '../versions.js';
import { JobInputSchema, JobOutputSchema } from './job.js';

/** Server → client, first frame: the server's version and heartbeat period. */
export const JobConnectedSchema = eventSchema(V, 'connected', {
  server_version: z.string().min(1).max(64),
  heartbeat_interval_ms: z.int().min(1000).max(3_600_000),
});
/** A {@link JobConnectedSchema} message. */
export type JobConnected = z.infer<typeof JobConnectedSchema>;

/**
 * Client → server: follow a job. The server answers with its current `job_status`
 * (and `error` echoing `id` when the job is unknown).
 */
export const JobSubscribeSchema = optionalIdSchema(V, 'subscribe', {
  job_id: ResourceIdSchema,
  /** Also replay output sent before subscribing (default false). */
  replay: z.boolean().optional(),
});
/** A {@link JobSubscribeSchema} message. */
export type JobSubscribe = z.infer<typeof JobSubscribeSchema>;

/** Client → server: stop following a job. */
export const JobUnsubscribeSchema = optionalIdSchema(V, 'unsubscribe', { job_id: ResourceIdSchema });
/** A {@link JobUnsubscribeSchema} message. */
export type JobUnsubscribe = z.infer<typeof JobUnsubscribeSchema>;

/** Phase of a job: queued, then the runner's INIT → PREPARE → EXECUTE → COLLECT → DESTROY, then done. */
export const JobPhaseSchema = z.enum(['queued', 'init', 'prepare', 'execute', 'collect', 'destroy', 'done']);
/** A {@link JobPhaseSchema} value. */
export type JobPhase = z.infer<typeof JobPhaseSchema>;

/** Server → client: a job changed phase. */
export const JobStatusSchema = eventSchema(V, 'job_status', {
  job_id: ResourceIdSchema,
  status: JobPhaseSchema,
  ts: TimestampSchema,
});
/** A {@link JobStatusSchema} message. */
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** Server → client: a chunk of a job's output (UTF-8, never split inside a character). */
export const JobOutputChunkSchema = eventSchema(V, 'job_output', {
  job_id: ResourceIdSchema,
  stream: z.enum(['stdout', 'stderr']),
  data: z.string(),
  /** Byte offset of this chunk in its stream. */
  offset: CountSchema,
});
/** A {@link JobOutputChunkSchema} message. */
export type JobOutputChunk = z.infer<typeof JobOutputChunkSchema>;

/** Server → client: the job ended; `result` is its full output. */
export const JobCompleteSchema = eventSchema(V, 'job_complete', {
  job_id: ResourceIdSchema,
  result: JobOutputSchema,
});
/** A {@link JobCompleteSchema} message. */
export type JobComplete = z.infer<typeof JobCompleteSchema>;

/** Server → client: the runner failed the job before it produced a result (not a protocol error). */
export const JobErrorSchema = eventSchema(V, 'job_error', {
  job_id: ResourceIdSchema,
  code: ErrorCodeSchema,
  message: DetailSchema,
});
/** A {@link JobErrorSchema} message. */
export type JobError = z.infer<typeof JobErrorSchema>;

/** Either side, every `heartbeat_interval_ms`: still here. */
export const JobHeartbeatSchema = eventSchema(V, 'heartbeat', { ts: TimestampSchema });
/** A {@link JobHeartbeatSchema} message. */
export type JobHeartbeat = z.infer<typeof JobHeartbeatSchema>;

/** The jobs protocol's error message (malformed frames, unknown job on subscribe). */
export const JobsProtocolErrorSchema = errorSchema(V);
/** A {@link JobsProtocolErrorSchema} message. */
export type JobsProtocolError = z.infer<typeof JobsProtocolErrorSchema>;

/** Client → job server. */
export const ClientToJobServerMessageSchema = z.discriminatedUnion('type', [
  JobSubscribeSchema,
  JobUnsubscribeSchema,
  JobHeartbeatSchema,
  JobsProtocolErrorSchema,
]);
/** Any message a client sends on the job stream. */
export type ClientToJobServerMessage = z.infer<typeof ClientToJobServerMessageSchema>;

/** Job server → client. */
export const JobServerToClientMessageSchema = z.discriminatedUnion('type', [
  JobConnectedSchema,
  JobStatusSchema,
  JobOutputChunkSchema,
  JobCompleteSchema,
  JobErrorSchema,
  JobHeartbeatSchema,
  JobsProtocolErrorSchema,
]);
/** Any message the job server sends on the job stream. */
export type JobServerToClientMessage = z.infer<typeof JobServerToClientMessageSchema>;

/** The jobs protocol. Directions: `toServer` and `toClient`; bodies `job.input` and `job.output`. */
export const jobsProtocol = defineProtocol({
  name: 'jobs',
  directions: {
    toServer: ClientToJobServerMessageSchema,
    toClient: JobServerToClientMessageSchema,
  },
  bodies: {
    'job.input': JobInputSchema,
    'job.output': JobOutputSchema,
  },
});
