/** Virtual display commands: a headless X display with a VNC server, inside a container. */
import { z } from 'zod';
import { requestSchema, resultSchema } from '../envelope.js';
import { ResourceIdSchema } from '../fields.js';
import { WORKER_PROTOCOL_VERSION as V } from '../versions.js';

/** Start a virtual display (Xvfb + VNC) in a container. */
export const DisplayOpenSchema = requestSchema(V, 'display.open', {
  tenant: ResourceIdSchema,
  containerId: ResourceIdSchema,
  /** Pixels (default 1280). */
  width: z.int().min(64).max(7680).optional(),
  /** Pixels (default 800). */
  height: z.int().min(64).max(4320).optional(),
});
/** A {@link DisplayOpenSchema} message. */
export type DisplayOpen = z.infer<typeof DisplayOpenSchema>;

/** Reply to `display.open`. */
export const DisplayOpenResultSchema = resultSchema(V, 'display.open', {
  displayId: ResourceIdSchema,
  /** X display name inside the container, e.g. `:1`. */
  display: z.string().regex(/^:\d{1,4}$/),
  /** Port of the VNC server on the worker's loopback. */
  vncPort: z.int().min(1).max(65_535),
  width: z.int().min(64).max(7680),
  height: z.int().min(64).max(4320),
});
/** A {@link DisplayOpenResultSchema} message. */
export type DisplayOpenResult = z.infer<typeof DisplayOpenResultSchema>;

/** Stop a virtual display. */
export const DisplayCloseSchema = requestSchema(V, 'display.close', { displayId: ResourceIdSchema });
/** A {@link DisplayCloseSchema} message. */
export type DisplayClose = z.infer<typeof DisplayCloseSchema>;

/** Reply to `display.close`. */
export const DisplayCloseResultSchema = resultSchema(V, 'display.close', { displayId: ResourceIdSchema });
/** A {@link DisplayCloseResultSchema} message. */
export type DisplayCloseResult = z.infer<typeof DisplayCloseResultSchema>;
