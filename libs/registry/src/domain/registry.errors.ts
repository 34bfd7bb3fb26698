import { DomainError } from '#common';

export class RegistryNotFoundError extends DomainError {
  constructor(name: string) {
    super('not_found', 'registry_not_found', `No registry named "${name}"`);
  }
}

export class RegistryExistsError extends DomainError {
  constructor(name: string) {
    super('conflict', 'registry_exists', `A registry named "${name}" exists already`, { fields: [{ field: 'name', message: 'already used' }] });
  }
}
