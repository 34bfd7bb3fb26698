import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { JwtKeys } from './jwt-keys.js';

const OLD = 'old-secret-'.padEnd(40, 'o');
const NEW = 'new-secret-'.padEnd(40, 'n');

describe('JwtKeys', () => {
  it('signs HS256 with the current key, naming it in kid, with issuer and expiry', () => {
    const keys = new JwtKeys(NEW, undefined, 600);
    const { token, expiresIn } = keys.sign({ sub: 'user-1', ver: 3 });
    const verified = jwt.verify(token, NEW, { issuer: 'nmos-control', algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(verified).toMatchObject({ sub: 'user-1', ver: 3 });
    expect(verified.exp! - verified.iat!).toBe(600);
    expect(expiresIn).toBe(600);
  });

  it('during a rotation verifies tokens of the previous secret and signs with the new one', () => {
    const before = new JwtKeys(OLD, undefined, 600).sign({ sub: 'u', ver: 0 }).token;
    const rotating = new JwtKeys(NEW, OLD, 600);
    expect(rotating.secretFor(before)?.export().toString()).toBe(OLD);
    const after = rotating.sign({ sub: 'u', ver: 0 }).token;
    expect(rotating.secretFor(after)?.export().toString()).toBe(NEW);
    expect(new JwtKeys(NEW, undefined, 600).secretFor(before)).toBeUndefined();
  });

  it('knows no key for tokens without a kid or with a foreign one', () => {
    const keys = new JwtKeys(NEW, OLD, 600);
    expect(keys.secretFor(jwt.sign({ sub: 'u' }, NEW))).toBeUndefined();
    expect(keys.secretFor(jwt.sign({ sub: 'u' }, NEW, { keyid: 'someone-else' }))).toBeUndefined();
    expect(keys.secretFor('not.a.jwt')).toBeUndefined();
  });
});
