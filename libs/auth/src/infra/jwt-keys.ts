import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface AccessTokenClaims {
  /** The user's id. */
  sub: string;
  /** The user's token_version when the token was issued: a password change invalidates older tokens. */
  ver: number;
}

const ISSUER = 'nmos-control';

/**
 * HS256 keys shared by every replica. Each token names its key (`kid`, a fingerprint of the secret), so
 * during a rotation tokens signed with JWT_SECRET_PREVIOUS still verify while new ones use JWT_SECRET.
 */
export class JwtKeys {
  // KeyObjects, not strings: given a string, jsonwebtoken first tries it as a public key and catches the
  // failure, which cost about a millisecond per request here.
  private readonly byKid: Map<string, KeyObject>;
  private readonly currentKid: string;
  private readonly current: KeyObject;

  constructor(
    current: string,
    previous: string | undefined,
    private readonly ttlSeconds: number,
  ) {
    this.currentKid = fingerprint(current);
    this.current = createSecretKey(Buffer.from(current, 'utf8'));
    this.byKid = new Map([[this.currentKid, this.current]]);
    if (previous) this.byKid.set(fingerprint(previous), createSecretKey(Buffer.from(previous, 'utf8')));
  }

  sign(claims: AccessTokenClaims): { token: string; expiresIn: number } {
    const token = jwt.sign(claims, this.current, { algorithm: 'HS256', expiresIn: this.ttlSeconds, issuer: ISSUER, keyid: this.currentKid });
    return { token, expiresIn: this.ttlSeconds };
  }

  /** The key a token claims to be signed with, if we know it. */
  secretFor(rawToken: string): KeyObject | undefined {
    const decoded = jwt.decode(rawToken, { complete: true });
    const kid = decoded?.header.kid;
    return kid ? this.byKid.get(kid) : undefined;
  }

  get issuer(): string {
    return ISSUER;
  }
}

function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}
