/** ESM jest for NestJS 12 (ESM-only): see ../shared/FIELD-NOTES.md. Type checking is `npm run typecheck`'s job. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^#(config|metrics|database|auth|health|common|registry|events|connections|flows|is07|alerts|backup)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  // The second suite (jest.system.config.js) needs Debian's packages: `npm test` needs only Node.js.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/system/', '<rootDir>/test/ha/'],
  testTimeout: 120_000,
  // Integration tests start PostgreSQL clusters and controller processes: two at a time fits two cores.
  maxWorkers: 2,
};
