/** What the other parts of Connections use of scheduling: what a device-side scheduled activation is. */
export type { DeviceSchedule } from './domain/device-schedule.js';
