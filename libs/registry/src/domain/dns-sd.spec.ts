import { describe, expect, it } from '@jest/globals';
import { discoveredEntry, judgeService, type ServiceRecord } from './dns-sd.js';

const record = (over: Partial<ServiceRecord> = {}): ServiceRecord => ({
  instance: 'reg._nmos-query._tcp.example.com',
  via: 'unicast',
  host: 'reg.example.com',
  port: 8870,
  txt: ['api_ver=v1.0,v1.1,v1.2,v1.3', 'api_proto=http', 'pri=10', 'api_auth=false'],
  addresses: ['192.0.2.10'],
  ...over,
});

describe('judging a DNS-SD Query API advert', () => {
  it('uses the newest version both sides speak, at the resolved address over http', () => {
    expect(judgeService(record(), ['v1.2', 'v1.3'])).toMatchObject({
      url: 'http://192.0.2.10:8870/x-nmos/query/v1.3',
      ignored: null,
      pri: 10,
      api_auth: false,
    });
    expect(judgeService(record({ txt: ['api_ver=v1.2', 'api_proto=http', 'pri=0'] }), ['v1.2', 'v1.3']).url).toBe('http://192.0.2.10:8870/x-nmos/query/v1.2');
  });

  it('keeps the host name over https (the certificate names it) and brackets IPv6 over http', () => {
    expect(judgeService(record({ txt: ['api_ver=v1.3', 'api_proto=https', 'pri=0'], host: 'reg.example.com.' }), ['v1.3']).url).toBe(
      'https://reg.example.com:8870/x-nmos/query/v1.3',
    );
    expect(judgeService(record({ addresses: ['2001:db8::1'] }), ['v1.3']).url).toBe('http://[2001:db8::1]:8870/x-nmos/query/v1.3');
  });

  it('picks the same address whatever order the resolver gives several in (round robin must not restart the watcher)', () => {
    const urls = [
      ['192.0.2.20', '192.0.2.10', '192.0.2.30'],
      ['192.0.2.30', '192.0.2.20', '192.0.2.10'],
    ].map((addresses) => judgeService(record({ addresses }), ['v1.3']).url);
    expect(urls).toEqual(['http://192.0.2.10:8870/x-nmos/query/v1.3', 'http://192.0.2.10:8870/x-nmos/query/v1.3']);
  });

  it('says why an advert is not used', () => {
    const reason = (over: Partial<ServiceRecord>) => judgeService(record(over), ['v1.2', 'v1.3']).ignored;
    expect(reason({ txt: ['api_ver=v1.3', 'pri=1'] })).toBe('api_proto is missing (http or https)');
    expect(reason({ txt: ['api_ver=v1.3', 'api_proto=ws', 'pri=1'] })).toBe('api_proto is "ws" (http or https)');
    expect(reason({ txt: ['api_ver=v1.3', 'api_proto=http'] })).toBe('pri is missing (a whole number)');
    expect(reason({ txt: ['api_ver=v1.3', 'api_proto=http', 'pri=high'] })).toBe('pri is "high" (a whole number)');
    expect(reason({ txt: ['api_ver=v1.3', 'api_proto=http', 'pri=100'] })).toMatch(/pri 100 is reserved for development/);
    expect(reason({ txt: ['api_ver=v1.0,v1.1', 'api_proto=http', 'pri=1'] })).toBe('no common Query API version (advertised: v1.0, v1.1; we speak v1.2, v1.3)');
    expect(reason({ addresses: [] })).toBe('reg.example.com did not resolve to an address');
  });
});

describe('the logical registry made of what was found', () => {
  const api = (instance: string, pri: number, address: string) =>
    judgeService(record({ instance, addresses: [address], txt: ['api_ver=v1.3', 'api_proto=http', `pri=${pri}`] }), ['v1.3']);

  it('puts the lowest pri first and the rest after it as fallbacks, leaving out what is ignored', () => {
    const entry = discoveredEntry([api('c', 30, '192.0.2.3'), api('a', 10, '192.0.2.1'), api('lab', 100, '192.0.2.9'), api('b', 20, '192.0.2.2')], 'seed');
    expect(entry).toMatchObject({ name: 'dns-sd', query_url: 'http://192.0.2.1:8870/x-nmos/query/v1.3', enabled: true, auth: null });
    expect(entry!.endpoints).toEqual(['http://192.0.2.2:8870/x-nmos/query/v1.3', 'http://192.0.2.3:8870/x-nmos/query/v1.3']);
  });

  it('orders equal priorities by a hash of the seed: the same from one browse to the next, different between controllers', () => {
    const apis = Array.from({ length: 8 }, (_, i) => api(`r${i}`, 0, `192.0.2.${i + 1}`));
    const first = (seed: string, list = apis) => discoveredEntry(list, seed)!.query_url;
    expect(first('controller-1')).toBe(first('controller-1', [...apis].reverse()));
    const firsts = new Set(Array.from({ length: 20 }, (_, i) => first(`controller-${i}`)));
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('is null when nothing usable was found', () => {
    expect(discoveredEntry([api('lab', 100, '192.0.2.9')], 'seed')).toBeNull();
    expect(discoveredEntry([], 'seed')).toBeNull();
  });
});
