import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseService } from '#database';
import { EventsService } from '#events';
import { startController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { TestBroker } from '../support/test-broker.js';

const PREFIX = 'go-nmos/flows/events';

/** In the second suite: it needs the openssl command to make a CA and a broker certificate. */
describe('a broker behind TLS', () => {
  it('is reached over mqtts with the CA from MQTT_CA_FILE', async () => {
    const dir = await scratchDir('events-tls');
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=nmos-control test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'broker.key', '-out', 'broker.csr']);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
    run([
      'x509',
      '-req',
      '-in',
      'broker.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      'broker.pem',
    ]);
    const pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    const broker = new TestBroker(await freePort(), `${PREFIX}/#`, { key: readFileSync(join(dir, 'broker.key')), cert: readFileSync(join(dir, 'broker.pem')) });
    await broker.start();
    const controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app'), MQTT_BROKER_URL: broker.url, MQTT_CA_FILE: join(dir, 'ca.pem') });
    try {
      const db = controller.app.get(DatabaseService);
      const events = controller.app.get(EventsService);
      await db.write((sql) =>
        events.record(sql, { type: 'test.burst', subject: { kind: 'burst', id: 'tls' }, topic: 'test/tls', retained: false, payload: { label: 'tls' } }),
      );
      await eventually(() => expect(broker.received.filter((m) => m.payload.label === 'tls')).toHaveLength(1), 15_000);
    } finally {
      await controller.close();
      await broker.kill();
      await pg.stop();
      await removeDir(dir);
    }
  });
});
