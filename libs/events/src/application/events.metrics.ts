import { Injectable, type OnModuleInit } from '@nestjs/common';
import { withTimeout } from '#common';
import { DatabaseService } from '#database';
import { PROBE_QUERY_TIMEOUT_MS } from '#health';
import { MetricsService } from '#metrics';
import { OutboxRepository } from '../infra/outbox.repository.js';
import { BrokerLink } from './broker-link.service.js';

/**
 * The broker connection, and the outbox backlog: events committed and not yet acknowledged by the
 * broker, and how old the oldest is. The backlog is read through its partial indexes (bounded
 * whatever the history), with the probes' timeout; an unknown backlog leaves the last figure.
 */
@Injectable()
export class EventsMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly db: DatabaseService,
    private readonly outbox: OutboxRepository,
    private readonly link: BrokerLink,
  ) {}

  onModuleInit(): void {
    const { db, outbox, link } = this;
    // Both backlog series come from one read per scrape (kept for a second).
    let last: { at: number; read: Promise<{ count: number; oldest_seconds: number | null } | null> } | null = null;
    const backlog = () => {
      if (!last || Date.now() - last.at > 1_000)
        last = {
          at: Date.now(),
          read: withTimeout(
            db.readPrimary((sql) => outbox.backlog(sql)),
            PROBE_QUERY_TIMEOUT_MS,
          ).catch(() => null),
        };
      return last.read;
    };
    this.metrics.gauge({
      name: 'nmos_control_mqtt_connected',
      help: '1 while this replica is connected to an MQTT broker',
      collect() {
        this.set(link.connection?.connectedTo ? 1 : 0);
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_outbox_backlog_events',
      help: 'Events committed and not yet acknowledged by the broker (the same figure on every replica)',
      async collect() {
        const found = await backlog();
        if (found) this.set(found.count);
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_outbox_oldest_seconds',
      help: 'Age of the oldest event not yet acknowledged by the broker (0 when none)',
      async collect() {
        const found = await backlog();
        if (found) this.set(found.oldest_seconds ?? 0);
      },
    });
  }
}
