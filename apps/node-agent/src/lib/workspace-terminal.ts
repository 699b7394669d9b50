import type { ContainerDriver } from '@bosun/container-driver';
import type { TerminalInfo, TerminalService } from '@bosun/terminal-service';

/**
 * Opens a terminal of `workspace` (owner `{ tenant: workspace }`): in the workspace's
 * running container (the first the driver lists for it as tenant), else as a host shell,
 * which the service refuses unless it allows host shells.
 */
export async function openWorkspaceTerminal(
  terminals: TerminalService,
  driver: Pick<ContainerDriver, 'list'>,
  workspace: string,
  spec: { cols: number; rows: number; name?: string },
): Promise<TerminalInfo> {
  const containers = await driver.list(workspace).catch(() => []);
  const running = containers.find((c) => c.status === 'running');
  return terminals.open({ tenant: workspace }, { ...(running ? { containerId: running.id } : {}), ...spec });
}
