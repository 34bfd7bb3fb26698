/** The second suite: tests that need more than Node.js (Debian's mosquitto). `.ci/run` installs it and runs this too. */
import base from './jest.config.js';

export default { ...base, testMatch: ['<rootDir>/test/system/**/*.test.ts'] };
