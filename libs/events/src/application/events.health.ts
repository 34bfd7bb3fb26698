import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseService } from '#database';
import { withTimeout } from '#common';
import { HealthContributors, PROBE_QUERY_TIMEOUT_MS } from '#health';
import { OutboxRepository } from '../infra/outbox.repository.js';
import { BrokerLink } from './broker-link.service.js';

/** A broker outage delays events and degrades the service; it never makes a replica unready. */
@Injectable()
export class EventsHealth implements OnModuleInit {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly contributors: HealthContributors,
    private readonly db: DatabaseService,
    private readonly outbox: OutboxRepository,
    private readonly link: BrokerLink,
  ) {}

  onModuleInit(): void {
    this.contributors.register('events', async () => {
      const check = this.indicators.check('events');
      const broker = this.link.connection?.connectedTo ?? null;
      // Bounded like every probe query: an unknown backlog degrades, it never holds the probe.
      const backlog = await withTimeout(
        this.db.readPrimary((sql) => this.outbox.backlog(sql)),
        PROBE_QUERY_TIMEOUT_MS,
      ).catch(() => null);
      const details = { broker, client_id: this.link.connection?.clientId, backlog };
      return broker && (backlog?.oldest_seconds ?? 0) < 30 ? check.up(details) : check.degraded(details);
    });
  }
}
