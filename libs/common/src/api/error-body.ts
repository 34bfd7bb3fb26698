import type { FieldProblem } from '../domain/domain.error.js';

/** The one JSON error shape every route answers with. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  fields?: FieldProblem[];
  request_id?: string;
  /** Facts particular to the error, e.g. `device` (what a device answered) or `active`. */
  [extra: string]: unknown;
}
