import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';

/**
 * In the second suite: multicast needs an interface that carries it, and the host's loopback does not.
 * The whole scene (simulated registry, its mDNS advert, the built controller) runs in a fresh network
 * namespace (`unshare -n`, root, iproute2) whose loopback is given multicast; nothing leaves it.
 */
describe('registry discovery by mDNS', () => {
  it('finds a Query API advertised on the local link and syncs the merged view from it', () => {
    const script = [
      'ip link set lo up',
      'ip link set lo multicast on',
      'ip route add 224.0.0.0/4 dev lo',
      `exec "${process.execPath}" test/system/fixtures/mdns-discovery.mjs`,
    ].join(' && ');
    const output = execFileSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    const result = JSON.parse(line!.slice('RESULT '.length));
    expect(result.error).toBeUndefined();
    expect(result.status).toMatchObject({ source: 'dns-sd', state: 'connected', endpoint: result.registry, sync: { complete: true } });
    expect(result.status.discovery.found).toEqual([
      expect.objectContaining({ instance: 'sim-registry._nmos-query._tcp.local', via: 'mdns', pri: 0, url: result.registry, ignored: null }),
    ]);
    expect(result.senders).toEqual(result.expected);
    expect(result.senders.length).toBeGreaterThan(0);
  });
});
