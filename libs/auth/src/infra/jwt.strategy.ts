import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { UnauthenticatedError } from '../domain/auth.errors.js';
import type { Principal } from '../domain/principal.js';
import { PrincipalResolver } from '../application/principal-resolver.service.js';
import { JwtKeys, type AccessTokenClaims } from './jwt-keys.js';

/** passport-jwt with the key chosen by the token's `kid` (current or previous secret during rotation). */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    keys: JwtKeys,
    private readonly principals: PrincipalResolver,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: ['HS256'],
      issuer: keys.issuer,
      // passport-jwt hands the key to jsonwebtoken.verify, which takes a KeyObject; its typings only say string | Buffer.
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (err: Error | null, secret?: Buffer) => void) => {
        const secret = keys.secretFor(rawToken);
        if (secret) done(null, secret as unknown as Buffer);
        else done(new Error('token signed with an unknown key'));
      },
    });
  }

  validate(claims: AccessTokenClaims & { exp?: unknown }): Promise<Principal> {
    // jsonwebtoken checks exp only when present; every token we issue has one, so one without is not ours.
    if (typeof claims.exp !== 'number') throw new UnauthenticatedError('The token has no expiry (exp)');
    return this.principals.forClaims(claims);
  }
}
