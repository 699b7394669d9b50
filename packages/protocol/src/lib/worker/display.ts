/**
 * Virtual display commands: a headless X display with a VNC server, inside a container.
 * The worker does not serve them yet: both answer `unsupported`.
 */
import { z } from 'zod';
import { requestSchema, resultSchema } from '../envelope.js';
import { ResourceIdSchema } from '../fields.js';
import { WORKER_PROTOCOL_VERSION as V } from '../versions.js';
import { ContainerRefField, ContainerTenantField } from './field-docs.js';

/** Start a virtual display (Xvfb + VNC) in a container. */
export const DisplayOpenSchema = requestSchema(V, 'display.open', {
  tenant: ContainerTenantField,
  containerId: ContainerRefField.describe('Container to start the display in (running): the `containerId` returned by `container.create`, or its `name`.'),
  /** Pixels (default 1280). */
  width: z.int().min(64).max(7680).describe('Width in pixels, 64 to 7680 (default 1280).').optional(),
  /** Pixels (default 800). */
  height: z.int().min(64).max(4320).describe('Height in pixels, 64 to 4320 (default 800).').optional(),
});
/** A {@link DisplayOpenSchema} message. */
export type DisplayOpen = z.infer<typeof DisplayOpenSchema>;

/** Reply to `display.open`. */
export const DisplayOpenResultSchema = resultSchema(V, 'display.open', {
  displayId: ResourceIdSchema.describe('Id of the new display: pass it as `displayId` to `display.close`.'),
  /** X display name inside the container, e.g. `:1`. */
  display: z.string().regex(/^:\d{1,4}$/).describe('X display name inside the container, e.g. `:1` (the `DISPLAY` to set).'),
  /** Port of the VNC server on the worker's loopback. */
  vncPort: z.int().min(1).max(65_535).describe("Port of the VNC server on the worker's loopback."),
  /** Width in pixels. */
  width: z.int().min(64).max(7680).describe('Width in pixels.'),
  /** Height in pixels. */
  height: z.int().min(64).max(4320).describe('Height in pixels.'),
});
/** A {@link DisplayOpenResultSchema} message. */
export type DisplayOpenResult = z.infer<typeof DisplayOpenResultSchema>;

/** Stop a virtual display. */
export const DisplayCloseSchema = requestSchema(V, 'display.close', {
  displayId: ResourceIdSchema.describe('Display to stop: the `displayId` returned by `display.open`.'),
});
/** A {@link DisplayCloseSchema} message. */
export type DisplayClose = z.infer<typeof DisplayCloseSchema>;

/** Reply to `display.close`. */
export const DisplayCloseResultSchema = resultSchema(V, 'display.close', {
  displayId: ResourceIdSchema.describe('Id of the display that was stopped.'),
});
/** A {@link DisplayCloseResultSchema} message. */
export type DisplayCloseResult = z.infer<typeof DisplayCloseResultSchema>;
