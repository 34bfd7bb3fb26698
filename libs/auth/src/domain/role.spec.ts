import { describe, expect, it } from '@jest/globals';
import { hasAtLeast } from './role.js';

describe('hasAtLeast', () => {
  it('orders viewer < operator < engineer < admin', () => {
    expect(hasAtLeast('viewer', 'viewer')).toBe(true);
    expect(hasAtLeast('viewer', 'operator')).toBe(false);
    expect(hasAtLeast('operator', 'operator')).toBe(true);
    expect(hasAtLeast('operator', 'engineer')).toBe(false);
    expect(hasAtLeast('engineer', 'operator')).toBe(true);
    expect(hasAtLeast('engineer', 'admin')).toBe(false);
    expect(hasAtLeast('admin', 'engineer')).toBe(true);
  });

  it('lets automation read and route like an operator, and administer nothing', () => {
    expect(hasAtLeast('automation', 'operator')).toBe(true);
    expect(hasAtLeast('automation', 'engineer')).toBe(false);
    expect(hasAtLeast('automation', 'admin')).toBe(false);
  });
});
