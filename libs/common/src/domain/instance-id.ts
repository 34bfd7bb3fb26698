import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process's identity among the replicas: lease holder names, logs, and later MQTT client ids. The
 * random part keeps two processes apart even with the same host name and pid (containers).
 */
export const INSTANCE_ID = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
