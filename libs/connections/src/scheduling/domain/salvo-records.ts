import type { NamedSalvoRequest, SalvoRequest } from '../../domain/requests.js';

/** Saved salvos and controller-side schedules, as stored and answered by the API. */
export interface NamedSalvo extends NamedSalvoRequest {
  created_by: unknown;
  updated_at: Date;
}

export const SCHEDULE_STATES = ['pending', 'firing', 'fired', 'failed', 'missed', 'cancelled', 'interrupted'] as const;

export interface ControllerSchedule {
  id: string;
  salvo_name: string | null;
  salvo: SalvoRequest;
  fire_at: Date;
  state: (typeof SCHEDULE_STATES)[number];
  claimed_by: string | null;
  claimed_at: Date | null;
  result: unknown;
  created_by: unknown;
  created_at: Date;
}
