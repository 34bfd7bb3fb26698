import { DomainError } from '#common';
import { DeviceFailure } from '../infra/device-gateway.js';

/** What a device's failure means for the client: 423 pending activation, 502 refused/unreachable, 504 no answer. */
export function deviceError(err: unknown, receiverId: string): DomainError {
  if (err instanceof DomainError) return err;
  if (!(err instanceof DeviceFailure)) throw err;
  const device = err.answer ? { device: { status: err.answer.status, body: err.answer.body } } : {};
  switch (err.kind) {
    case 'refused':
      if (err.answer?.status === 423)
        return new DomainError('locked', 'device_locked', `Receiver ${receiverId}'s device refused: a scheduled activation is pending on it`, {
          extra: device,
        });
      return new DomainError('bad_gateway', 'device_refused', `Receiver ${receiverId}'s device refused: ${err.message}`, { extra: device });
    case 'unreachable':
      return new DomainError('bad_gateway', 'device_unreachable', `Receiver ${receiverId}'s device cannot be reached: ${err.message}`);
    case 'timeout':
      return new DomainError('gateway_timeout', 'device_timeout', `Receiver ${receiverId}'s device did not answer: ${err.message}`);
  }
}

/** The error as stored in the audit and shown in per-item results. */
export function errorSummary(error: DomainError): Record<string, unknown> {
  return { error: error.code, message: error.message, ...error.details.extra };
}
