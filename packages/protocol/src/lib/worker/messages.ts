/** The worker ⇄ orchestrator protocol: one union per direction, and its description. */
import { z } from 'zod';
import { errorSchema } from '../envelope.js';
import { defineProtocol } from '../protocol.js';
import { WORKER_PROTOCOL_VERSION } from '../versions.js';
import * as c from './containers.js';
import * as d from './display.js';
import * as e from './exec.js';
import * as i from './images.js';
import * as r from './register.js';
import * as t from './terminals.js';

/** The worker protocol's error reply (either direction). */
export const WorkerErrorSchema = errorSchema(WORKER_PROTOCOL_VERSION);
/** A {@link WorkerErrorSchema} message. */
export type WorkerError = z.infer<typeof WorkerErrorSchema>;

/** Every command the orchestrator sends; each has a reply of type `<command>.result`. */
export const WORKER_COMMANDS = [
  'container.create',
  'container.setup',
  'container.start',
  'container.stop',
  'container.remove',
  'container.list',
  'container.list-all',
  'container.exec',
  'container.exec.background',
  'container.exec.background.kill',
  'container.exec.background.capture',
  'images.list',
  'image.check',
  'image.delete',
  'image.build',
  'terminal.open',
  'terminal.input',
  'terminal.resize',
  'terminal.close',
  'display.open',
  'display.close',
] as const;
/** One of {@link WORKER_COMMANDS}. */
export type WorkerCommandType = (typeof WORKER_COMMANDS)[number];

/** Orchestrator → worker: the registration reply, commands, errors. */
export const OrchestratorToWorkerMessageSchema = z.discriminatedUnion('type', [
  r.WorkerRegisteredSchema,
  c.ContainerCreateSchema,
  c.ContainerSetupSchema,
  c.ContainerStartSchema,
  c.ContainerStopSchema,
  c.ContainerRemoveSchema,
  c.ContainerListSchema,
  c.ContainerListAllSchema,
  e.ContainerExecSchema,
  e.ContainerExecBackgroundSchema,
  e.ContainerExecBackgroundKillSchema,
  e.ContainerExecBackgroundCaptureSchema,
  i.ImagesListSchema,
  i.ImageCheckSchema,
  i.ImageDeleteSchema,
  i.ImageBuildSchema,
  t.TerminalOpenSchema,
  t.TerminalInputSchema,
  t.TerminalResizeSchema,
  t.TerminalCloseSchema,
  d.DisplayOpenSchema,
  d.DisplayCloseSchema,
  WorkerErrorSchema,
]);
/** Any message the orchestrator sends to a worker. */
export type OrchestratorToWorkerMessage = z.infer<typeof OrchestratorToWorkerMessageSchema>;

/** Worker → orchestrator: registration, heartbeats, command replies, progress and terminal events, errors. */
export const WorkerToOrchestratorMessageSchema = z.discriminatedUnion('type', [
  r.WorkerRegisterSchema,
  r.WorkerHeartbeatSchema,
  c.ContainerCreateResultSchema,
  c.ContainerSetupResultSchema,
  c.ContainerStartResultSchema,
  c.ContainerStopResultSchema,
  c.ContainerRemoveResultSchema,
  c.ContainerListResultSchema,
  c.ContainerListAllResultSchema,
  e.ContainerExecResultSchema,
  e.ContainerExecBackgroundResultSchema,
  e.ContainerExecBackgroundKillResultSchema,
  e.ContainerExecBackgroundCaptureResultSchema,
  i.ImagesListResultSchema,
  i.ImageCheckResultSchema,
  i.ImageDeleteResultSchema,
  i.ImageBuildProgressSchema,
  i.ImageBuildResultSchema,
  t.TerminalOpenResultSchema,
  t.TerminalInputResultSchema,
  t.TerminalResizeResultSchema,
  t.TerminalCloseResultSchema,
  t.TerminalExitSchema,
  t.TerminalSnapshotSchema,
  d.DisplayOpenResultSchema,
  d.DisplayCloseResultSchema,
  WorkerErrorSchema,
]);
/** Any message a worker sends to the orchestrator. */
export type WorkerToOrchestratorMessage = z.infer<typeof WorkerToOrchestratorMessageSchema>;

/** A command the orchestrator sends (a member of {@link WORKER_COMMANDS}). */
export type WorkerCommand = Extract<OrchestratorToWorkerMessage, { type: WorkerCommandType }>;

/** The reply message to command `C`. */
export type WorkerCommandResult<C extends WorkerCommandType> = Extract<WorkerToOrchestratorMessage, { type: `${C}.result` }>;

/**
 * The worker protocol. Directions: `toWorker` (what a worker parses) and
 * `toOrchestrator` (what an orchestrator parses). No plain HTTP bodies.
 */
export const workerProtocol = defineProtocol({
  name: 'worker',
  directions: {
    toWorker: OrchestratorToWorkerMessageSchema,
    toOrchestrator: WorkerToOrchestratorMessageSchema,
  },
});
