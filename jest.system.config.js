/**
 * The second suite: tests that need more than Node.js (Debian's mosquitto, nginx, HAProxy, Patroni,
 * etcd, docker-compose). `.ci/run` installs them and runs this too; `npm run test:ha` runs test/ha alone.
 */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/system/**/*.test.ts', '<rootDir>/test/ha/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 900_000,
};
