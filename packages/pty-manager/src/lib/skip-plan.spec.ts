import { describe, expect, it } from 'vitest';
import { planSkip } from './skip-plan.js';

const lines = (n: number, text = 'plain text line') => Array.from({ length: n }, (_, i) => `${text} ${i}`).join('\r\n') + '\r\n';

describe('planSkip', () => {
  it('skips to a carriage return followed by keepLines line feeds when the region is plain text', () => {
    const region = Buffer.from(lines(2000));
    const plan = planSkip(region, 100);
    if (!plan) throw new Error('expected a plan');
    expect(plan.head).toBe(0);
    expect(region[plan.tail]).toBe(0x0d);
    const lfsAfter = region.subarray(plan.tail).filter((b) => b === 0x0a).length;
    expect(lfsAfter).toBeGreaterThanOrEqual(100);
    expect(lfsAfter).toBeLessThanOrEqual(101);
  });

  it('starts the skip after the line feed that follows the last escape sequence', () => {
    const region = Buffer.from(lines(50) + '\x1b[31mred\x1b[0m tail of line\r\n' + lines(2000));
    const plan = planSkip(region, 100);
    if (!plan) throw new Error('expected a plan');
    const esc = region.lastIndexOf(0x1b);
    expect(plan.head).toBe(region.indexOf(0x0a, esc) + 1);
    expect(plan.tail).toBeGreaterThan(plan.head);
  });

  it.each([
    ['an escape sequence', '\x1b[2J'],
    ['a UTF-8 C1 control (CSI)', '\u009b2J'],
    ['shift out', '\x0e'],
    ['shift in', '\x0f'],
    ['a backspace', '\b'],
  ])('never skips over %s', (_name, special) => {
    const region = Buffer.from(lines(2000) + special + lines(3));
    const plan = planSkip(region, 100);
    // The state byte sits three lines from the end: too few lines follow it to skip anything.
    expect(plan).toBeNull();
  });

  it('counts a lone C2 at the end as the start of a C1 control', () => {
    const region = Buffer.concat([Buffer.from(lines(2000)), Buffer.from([0xc2])]);
    expect(planSkip(region, 100)).toBeNull();
  });

  it('treats C2 followed by a printable byte (é, °) as text', () => {
    const region = Buffer.from(lines(2000, 'température 20°'));
    expect(planSkip(region, 100)).not.toBeNull();
  });

  it('returns null when the region has fewer line feeds than keepLines or no carriage return before them', () => {
    expect(planSkip(Buffer.from(lines(99)), 100)).toBeNull();
    expect(planSkip(Buffer.from('x'.repeat(100_000)), 10)).toBeNull();
    expect(planSkip(Buffer.from(Array.from({ length: 2000 }, (_, i) => `bare ${i}`).join('\n') + '\n'), 100)).toBeNull();
  });

  it('returns null when the skip would be smaller than minSkip', () => {
    expect(planSkip(Buffer.from(lines(120)), 100, 1 << 20)).toBeNull();
  });
});
