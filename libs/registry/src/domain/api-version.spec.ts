import { describe, expect, it } from '@jest/globals';
import { compareApiVersions, newestCommonVersion, parseApiVersion } from './api-version.js';

describe('NMOS API versions', () => {
  it('compare as integers, not strings', () => {
    expect(compareApiVersions(parseApiVersion('v1.10')!, parseApiVersion('v1.9')!)).toBeGreaterThan(0);
    expect(compareApiVersions(parseApiVersion('v2.0')!, parseApiVersion('v1.3')!)).toBeGreaterThan(0);
    expect(compareApiVersions(parseApiVersion('v1.3/')!, parseApiVersion('v1.3')!)).toBe(0);
    expect(parseApiVersion('1.3')).toBeUndefined();
  });

  it('choose the newest version both sides support', () => {
    expect(newestCommonVersion(['v1.2', 'v1.3'], ['v1.0/', 'v1.1/', 'v1.2/', 'v1.3/'])).toBe('v1.3');
    expect(newestCommonVersion(['v1.2', 'v1.3'], ['v1.2/', 'v1.10/'])).toBe('v1.2');
    expect(newestCommonVersion(['v1.3', 'v1.10'], ['v1.9/', 'v1.10/', 'v1.3/'])).toBe('v1.10');
    expect(newestCommonVersion(['v1.3'], ['v1.0/', 'junk'])).toBeUndefined();
  });
});
