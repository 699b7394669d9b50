import { describe, expect, it } from 'vitest';
import { assertName, assertTenant, buildLabels, engineName, labelFilter, matchesLabels, ownedBy } from './labels.js';

describe('labels', () => {
  it('adds the bosun labels after the caller labels, so they always win', () => {
    expect(buildLabels({ tenant: 't1', workspace: 'w1', name: 'n' }, { team: 'blue' })).toEqual({
      team: 'blue',
      'bosun.managed': 'true',
      'bosun.tenant': 't1',
      'bosun.workspace': 'w1',
      'bosun.name': 'n',
    });
  });

  it('rejects caller labels in the reserved bosun. namespace and malformed keys', () => {
    expect(() => buildLabels({ tenant: 't1' }, { 'bosun.tenant': 'other' })).toThrow(/reserved/);
    expect(() => buildLabels({ tenant: 't1' }, { 'bad key': 'x' })).toThrow(/malformed/);
  });

  it('builds engine label filters scoped to a tenant', () => {
    expect(labelFilter({ tenant: 't1', workspace: 'w', labels: { a: 'b' } })).toEqual({
      label: ['bosun.managed=true', 'bosun.tenant=t1', 'bosun.workspace=w', 'a=b'],
    });
    expect(labelFilter({})).toEqual({ label: ['bosun.managed=true'] });
  });

  it('tells ownership only for managed objects of the same tenant', () => {
    const l = buildLabels({ tenant: 't1' });
    expect(ownedBy(l, 't1')).toBe(true);
    expect(ownedBy(l, 't2')).toBe(false);
    expect(ownedBy({ 'bosun.tenant': 't1' }, 't1')).toBe(false);
    expect(ownedBy(undefined, 't1')).toBe(false);
    expect(matchesLabels({ a: '1', b: '2' }, { a: '1' })).toBe(true);
    expect(matchesLabels({ a: '1' }, { a: '2' })).toBe(false);
  });

  it('validates tenants and names and prefixes engine names per tenant', () => {
    expect(() => assertTenant('acme-1')).not.toThrow();
    for (const bad of ['', 'Acme', '-x', 'a b', 'a/b', 'x'.repeat(64)]) expect(() => assertTenant(bad)).toThrow(/tenant/);
    expect(() => assertName('Web_1.a-b')).not.toThrow();
    for (const bad of ['', '.x', 'a/b', 'a b', '../x', 'é']) expect(() => assertName(bad)).toThrow(/name/);
    expect(engineName('t1', 'web')).toBe('bosun-t1-web');
  });
});
