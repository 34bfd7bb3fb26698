import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '#metrics';
import { BrokerLink } from './broker-link.service.js';
import { OutboxBacklog } from './outbox-backlog.service.js';

/**
 * The broker connection, and the outbox backlog: events committed and not yet acknowledged by the
 * broker, and how old the oldest is (the readiness probe's read, shared). An unknown backlog leaves
 * the last figure.
 */
@Injectable()
export class EventsMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly backlog: OutboxBacklog,
    private readonly link: BrokerLink,
  ) {}

  onModuleInit(): void {
    const { backlog, link } = this;
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
        const found = await backlog.read();
        if (found) this.set(found.count);
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_outbox_oldest_seconds',
      help: 'Age of the oldest event not yet acknowledged by the broker (0 when none)',
      async collect() {
        const found = await backlog.read();
        if (found) this.set(found.oldest_seconds ?? 0);
      },
    });
  }
}
