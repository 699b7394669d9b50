import { describe, expect, it } from 'vitest';
import { shouldColor } from './color.js';

describe('shouldColor', () => {
  it('colours when stdout is a terminal and nothing says otherwise', () => {
    expect(shouldColor(true, { TERM: 'xterm-256color' })).toBe(true);
    expect(shouldColor(true, {})).toBe(true);
  });

  it('never colours when stdout is not a terminal', () => {
    expect(shouldColor(false, { TERM: 'xterm-256color' })).toBe(false);
  });

  it('does not colour when NO_COLOR is set to any non-empty value', () => {
    expect(shouldColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor(true, { NO_COLOR: '0' })).toBe(false);
  });

  it('colours when NO_COLOR is present but empty, as no-color.org says', () => {
    expect(shouldColor(true, { NO_COLOR: '' })).toBe(true);
  });

  it('does not colour when TERM is dumb', () => {
    expect(shouldColor(true, { TERM: 'dumb' })).toBe(false);
  });
});
