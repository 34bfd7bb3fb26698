import { DomainError } from '#common';
import { DeviceFailure } from '../infra/device-gateway.js';

/**
 * What a device's failure means for the client: 423 pending activation, 502 refused or unreachable, 504
 * no answer. `source` names who failed: a receiver id (its device), or `{sender}` for a sender's manifest.
 */
export function deviceError(err: unknown, source: string | { sender: string }): DomainError {
  if (err instanceof DomainError) return err;
  if (!(err instanceof DeviceFailure)) throw err;
  const who = typeof source === 'string' ? `Receiver ${source}'s device` : `Sender ${source.sender}'s manifest host`;
  const device = err.answer ? { device: { status: err.answer.status, body: err.answer.body } } : {};
  switch (err.kind) {
    case 'refused':
      if (err.answer?.status === 423)
        return new DomainError('locked', 'device_locked', `${who} refused: a scheduled activation is pending on it`, { extra: device });
      return new DomainError('bad_gateway', 'device_refused', `${who} refused: ${err.message}`, { extra: device });
    case 'unreachable':
      return new DomainError('bad_gateway', 'device_unreachable', `${who} cannot be reached: ${err.message}`);
    case 'timeout':
      return new DomainError('gateway_timeout', 'device_timeout', `${who} did not answer: ${err.message}`);
  }
}

/** The error as stored in the audit and shown in per-item results. */
export function errorSummary(error: DomainError): Record<string, unknown> {
  return { error: error.code, message: error.message, ...error.details.extra };
}
