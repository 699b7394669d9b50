import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '@bosun/util';
import { describe, expect, it } from 'vitest';
import { NodeRegistry, type NodeReport, type VerifiedNode } from './node-registry.js';

const path = () => join(mkdtempSync(join(tmpdir(), 'bosun-node-registry-')), 'nodes.json');
function verified(reg: NodeRegistry, token: string | undefined): VerifiedNode {
  const v = reg.verify(token);
  if (!v) throw new Error('token does not verify');
  return v;
}

const report = (intervalMs = 1000): NodeReport => ({
  version: '1',
  workspaces: [{ workspaceId: 'w', terminals: 1 }],
  metrics: { cpuCount: 1, loadAvg1: 0, memoryTotal: 1, memoryFree: 1, uptimeSec: 1 },
  intervalMs,
});

describe('NodeRegistry', () => {
  it('verifies only the exact token of a node, in either slot, when tokens are tampered with or belong to nobody', async () => {
    const reg = new NodeRegistry({ path: path() });
    const { callbackToken } = await reg.register('n1');
    expect(reg.verify(callbackToken)).toMatchObject({ node: { nodeId: 'n1' }, slot: 'current' });
    const [, id, secret] = /^bnc_([a-z0-9]{16})_(.+)$/.exec(callbackToken) ?? [];
    expect(reg.verify(`bnc_${'0'.repeat(16)}_${secret}`)).toBeUndefined();
    expect(reg.verify(`bnc_${id}_${'A'.repeat(43)}`)).toBeUndefined();
    expect(reg.verify(`${callbackToken}x`)).toBeUndefined();
    expect(reg.verify(undefined)).toBeUndefined();
    expect(reg.verify('bwt_abcdefabcdef_' + 'A'.repeat(43))).toBeUndefined();
  });

  it('never lets one node\'s token reach another node when two are registered', async () => {
    const reg = new NodeRegistry({ path: path() });
    const a = await reg.register('a');
    const b = await reg.register('b');
    expect(reg.verify(a.callbackToken)?.node.nodeId).toBe('a');
    expect(reg.verify(b.callbackToken)?.node.nodeId).toBe('b');
    await reg.revoke('a');
    expect(reg.verify(a.callbackToken)).toBeUndefined();
    expect(reg.verify(b.callbackToken)?.node.nodeId).toBe('b');
  });

  it('stores hashes only and keeps a pending refresh across a restart when the hub stops between refresh and take-up', async () => {
    const clock = manualClock(1_000_000);
    const file = path();
    const reg = new NodeRegistry({ path: file, clock, rotateAfterMs: 10 });
    const { callbackToken } = await reg.register('n1');
    clock.advance(10);
    const answer = await reg.report(verified(reg, callbackToken), report());
    expect(answer.callbackToken).toBeDefined();
    const text = readFileSync(file, 'utf8');
    for (const t of [callbackToken, answer.callbackToken ?? '']) expect(text).not.toContain(t.slice(21));
    const again = new NodeRegistry({ path: file, clock, rotateAfterMs: 10 });
    expect(again.verify(callbackToken)?.slot).toBe('current');
    expect(again.verify(answer.callbackToken)?.slot).toBe('next');
    // Known after a restart, but not online until it calls.
    expect(again.get('n1')).toMatchObject({ online: false, workspaces: [] });
  });

  it('asks for the hub\'s interval only when the node reports another one', async () => {
    const reg = new NodeRegistry({ path: path(), intervalMs: 5000 });
    const v = verified(reg, (await reg.register('n1')).callbackToken);
    expect(await reg.report(v, report(1000))).toEqual({ nextIntervalMs: 5000 });
    expect(await reg.report(v, report(5000))).toEqual({});
  });

  it('forgets the last report when the node is revoked and registered again', async () => {
    const reg = new NodeRegistry({ path: path() });
    await reg.report(verified(reg, (await reg.register('n1')).callbackToken), report());
    expect(reg.get('n1')?.online).toBe(true);
    await reg.revoke('n1');
    await reg.register('n1');
    expect(reg.get('n1')).toMatchObject({ online: false, workspaces: [] });
    expect(await reg.revoke('nobody')).toBe(false);
  });
});
