import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DatabaseService } from '#database';
import { EventsService } from '#events';

/**
 * Records `count` test events `{n, label}` on `test/<label>` through the app's own outbox, 20 to a
 * transaction, as a module recording changes would.
 */
export async function recordTestEvents(app: NestFastifyApplication, label: string, count: number): Promise<void> {
  const db = app.get(DatabaseService);
  const events = app.get(EventsService);
  for (let i = 0; i < count; i += 20) {
    await db.write(async (sql) => {
      for (let n = i; n < Math.min(count, i + 20); n++) {
        await events.record(sql, {
          type: 'test.burst',
          subject: { kind: 'burst', id: `${label}-${n}` },
          topic: `test/${label}`,
          retained: false,
          payload: { n, label },
        });
      }
    });
  }
}
