/** An activation the controller asked a device to make later (IS-05 scheduled), as recorded and answered. */
/** Where a device-side scheduled activation stands: pending until its time, then verified or cancelled. */
export const DEVICE_SCHEDULE_STATES = ['pending', 'activated', 'failed', 'cancelled'] as const;

export interface DeviceSchedule {
  id: string;
  receiver_id: string;
  sender_id: string | null;
  mode: string;
  requested_time: string;
  activation_time: string;
  activation_at: Date;
  state: (typeof DEVICE_SCHEDULE_STATES)[number];
  expected: Record<string, unknown>;
  result: unknown;
  created_by: unknown;
  created_at: Date;
  settled_at: Date | null;
}
