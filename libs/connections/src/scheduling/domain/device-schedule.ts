/** An activation the controller asked a device to make later (IS-05 scheduled), as recorded and answered. */
export interface DeviceSchedule {
  id: string;
  receiver_id: string;
  sender_id: string | null;
  mode: string;
  requested_time: string;
  activation_time: string;
  activation_at: Date;
  state: 'pending' | 'activated' | 'failed' | 'cancelled';
  expected: Record<string, unknown>;
  result: unknown;
  created_by: unknown;
  created_at: Date;
  settled_at: Date | null;
}
