export { DomainError, type ErrorKind, type FieldProblem, type DomainErrorDetails } from './domain/domain.error.js';
export type { ErrorBody } from './api/error-body.js';
export { HttpErrorFilter, toErrorResponse } from './api/http-error.filter.js';
export { createValidationPipe } from './api/validation.pipe.js';
export { requestIdFor } from './api/request-id.js';
export { createRootLogger, PinoLoggerService, type LogLevel } from './infra/pino-logger.service.js';
export { sleep } from './domain/sleep.js';
export { INSTANCE_ID } from './domain/instance-id.js';
export { ExpiringCache } from './domain/expiring-cache.js';
