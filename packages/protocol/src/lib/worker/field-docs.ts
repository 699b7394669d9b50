/**
 * Described field schemas shared by several worker messages (internal: not exported
 * from the package). Every field of the worker protocol carries a zod description,
 * which `z.toJSONSchema` turns into `description`, so the hub's API reference and the
 * exported JSON Schemas say what each field means. `.describe()` returns a new schema,
 * so a shared schema such as `ResourceIdSchema` is described at each use whose meaning
 * differs; the ones here mean the same wherever they are used.
 */
import { ResourceIdSchema } from '../fields.js';

/** `tenant` of a command on a container: the container's owner. */
export const ContainerTenantField = ResourceIdSchema.describe(
  "Tenant that owns the container; every command on it names the same tenant, and another tenant's container answers `not_found`.",
);

/** `containerId` of a command on an existing container. */
export const ContainerRefField = ResourceIdSchema.describe(
  'Container to act on: the `containerId` returned by `container.create`, or the `name` given there.',
);

/** `containerId` of a reply: the container the command acted on. */
export const ContainerIdResultField = ResourceIdSchema.describe('Id of the container the command acted on.');

/** `terminalId` of a command on an existing terminal. */
export const TerminalRefField = ResourceIdSchema.describe('Terminal to act on: the `terminalId` returned by `terminal.open`.');

/** `terminalId` of a reply or event: the terminal it is about. */
export const TerminalIdResultField = ResourceIdSchema.describe('Id of the terminal this message is about.');

/** `tenant` of a command on an existing terminal: the terminal's owner. */
export const TerminalTenantField = ResourceIdSchema.describe(
  "Owner of the terminal: checked on every operation, another tenant's terminal answers `not_found`.",
);

/** `execId` of a command on a background command. */
export const ExecRefField = ResourceIdSchema.describe(
  'Background command to act on: the `execId` returned by `container.exec.background` (for the same tenant and container).',
);

/** `execId` of a reply about a background command. */
export const ExecIdResultField = ResourceIdSchema.describe('Id of the background command this reply is about.');
