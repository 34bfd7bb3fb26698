import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthContributors } from '#health';
import { BrokerLink } from './broker-link.service.js';
import { OutboxBacklog } from './outbox-backlog.service.js';

/** A broker outage delays events and degrades the service; it never makes a replica unready. */
@Injectable()
export class EventsHealth implements OnModuleInit {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly contributors: HealthContributors,
    private readonly backlog: OutboxBacklog,
    private readonly link: BrokerLink,
  ) {}

  onModuleInit(): void {
    this.contributors.register('events', async () => {
      const check = this.indicators.check('events');
      const broker = this.link.connection?.connectedTo ?? null;
      // Bounded like every probe query: an unknown backlog degrades, it never holds the probe.
      const backlog = await this.backlog.read();
      const details = { broker, client_id: this.link.connection?.clientId, backlog };
      return broker && (backlog?.oldest_seconds ?? 0) < 30 ? check.up(details) : check.degraded(details);
    });
  }
}
