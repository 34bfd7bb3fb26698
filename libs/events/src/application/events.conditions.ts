import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '#config';
import { AlertConditions, type ActiveCondition } from '#health';
import { BrokerLink } from './broker-link.service.js';
import { OutboxBacklog } from './outbox-backlog.service.js';

/**
 * Events' alert conditions: events waiting longer than ALERT_OUTBOX_AGE_SECONDS (the relay cannot
 * publish), and, on each replica, no broker of MQTT_BROKER_URL connected.
 */
@Injectable()
export class EventsConditions implements OnModuleInit {
  constructor(
    private readonly conditions: AlertConditions,
    private readonly backlog: OutboxBacklog,
    private readonly link: BrokerLink,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.conditions.register('events.outbox', 'cluster', () => this.outbox());
    this.conditions.register('events.broker', 'replica', async () => this.broker());
  }

  private async outbox(): Promise<ActiveCondition[]> {
    const figures = await this.backlog.read();
    const limit = this.config.alerts.outboxAgeSeconds;
    if (!figures || (figures.oldest_seconds ?? 0) <= limit) return [];
    return [
      {
        alert: 'outbox_backlog',
        severity: 'warning',
        summary: `${figures.count} events wait for the broker, the oldest for ${Math.round(figures.oldest_seconds!)} s`,
      },
    ];
  }

  private broker(): ActiveCondition[] {
    if (this.link.connection?.connectedTo) return [];
    return [{ alert: 'broker_disconnected', severity: 'warning', summary: 'no MQTT broker connected: events wait in the outbox' }];
  }
}
