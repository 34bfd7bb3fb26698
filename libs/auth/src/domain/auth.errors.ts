import { DomainError } from '#common';

export class InvalidCredentialsError extends DomainError {
  constructor() {
    // Never say which part was wrong: that would tell an attacker which usernames exist.
    super('unauthorized', 'invalid_credentials', 'Invalid username or password');
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(reason: string) {
    super('unauthorized', 'unauthenticated', reason);
  }
}

export class InsufficientRoleError extends DomainError {
  constructor(required: string) {
    super('forbidden', 'insufficient_role', `This action needs the ${required} role or higher`);
  }
}

export class LoginThrottledError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 'too_many_attempts', 'Too many failed login attempts; try again later', { retryAfterSeconds });
  }
}

export class LastAdminError extends DomainError {
  constructor() {
    super('conflict', 'last_admin', 'The last admin cannot be deleted or demoted');
  }
}

export class UserNotFoundError extends DomainError {
  constructor(id: string) {
    super('not_found', 'user_not_found', `No user with id ${id}`);
  }
}

export class UsernameTakenError extends DomainError {
  constructor(username: string) {
    super('conflict', 'username_taken', `The username ${username} is taken`, { fields: [{ field: 'username', message: 'already taken' }] });
  }
}

export class ApiTokenNotFoundError extends DomainError {
  constructor(id: string) {
    super('not_found', 'api_token_not_found', `No API token with id ${id}`);
  }
}
