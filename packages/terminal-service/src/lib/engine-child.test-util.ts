/**
 * Service #1 of the orphan test, run in a child process so the test can SIGKILL it:
 * opens a container terminal, starts `sleep <n>` in its shell, prints
 * `{"terminalId","runId"}` once the shell answered, then waits to be killed.
 *
 * Usage: node --import tsx --conditions=@bosun/source engine-child.test-util.ts <tenant> <containerId> <agentId> <n>
 */
import { EngineDriver } from '@bosun/container-driver';
import { PtyManager } from '@bosun/pty-manager';
import { TerminalService } from '../index.js';

const [tenant = '', containerId = '', agentId = '', n = ''] = process.argv.slice(2);
const driver = await EngineDriver.connect({ env: process.env, pingTimeoutMs: 5000 });
const manager = new PtyManager({ idleGraceMs: 0 });
const svc = new TerminalService({ manager, driver, agentId });
const owner = { tenant };
const t = await svc.open(owner, { containerId, cmd: ['/bin/sh'] });
let text = '';
svc.attach(owner, t.terminalId, {
  fromOffset: 0,
  onMessage: (m) => {
    if (m.type !== 'data') return;
    text += m.data.toString('utf8');
    if (text.includes(`ready-${n}-ok`)) {
      text = '';
      process.stdout.write(`${JSON.stringify({ terminalId: t.terminalId, runId: svc.runId })}\n`);
    }
  },
});
svc.input(owner, t.terminalId, `sleep ${n} & echo ready-${n}-$(echo ok)\n`);
setInterval(() => undefined, 60_000);
