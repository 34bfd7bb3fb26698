/** Who asked, from which request: kept with audit rows and events (a user or an API token). */
export interface Actor {
  kind: string;
  id: string;
  name: string;
  requestId?: string;
}
