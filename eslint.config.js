/**
 * Boundary rules, run by `npm run lint` in CI (ESLint's own no-restricted-imports over the TypeScript
 * parser: formatting is prettier's job, types tsc's):
 * - no lib imports an app;
 * - api/ (controllers, DTOs) imports no infra/ (repositories, clients): it answers domain types;
 * - modules import only modules before them in the order below, and only through their barrels;
 * - a module split into parts (Connections: routing, scheduling, guard, live state) has each part reach
 *   another only through that part's index.ts;
 * - the testing façade reaches the controller only through its HTTP API, as an automation client:
 *   it imports no lib and no other app.
 */
import tsParser from '@typescript-eslint/parser';

const MODULE_ORDER = ['common', 'config', 'metrics', 'health', 'database', 'events', 'auth', 'registry', 'flows', 'connections', 'is07', 'alerts', 'backup'];

/** Modules split into parts, each with its own application/domain/infra and an index.ts the others use. */
const MODULE_FEATURES = { connections: ['routing', 'scheduling', 'guard', 'live-state'] };

const noApps = { regex: '(^|/)apps/', message: 'A lib never imports an app: move what both need into a lib.' };
const noDeepImports = { regex: '^(\\.\\./){2,}(libs/)?[a-z-]+/src/', message: "Another module is reached through its barrel ('#name'), never its files." };

export default [
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
  },
  ...MODULE_ORDER.flatMap((name, index) => {
    const order = {
      regex: `^#(${MODULE_ORDER.slice(index).join('|')})$`,
      message: `libs/${name} may import only ${MODULE_ORDER.slice(0, index).join(', ') || 'no other module'} (module order: ${MODULE_ORDER.join(' → ')}); its own files by relative path.`,
    };
    const noInfra = { regex: '^(\\.\\./)+infra/', message: 'api/ answers domain types and calls application services, never infra/ directly.' };
    // Flat config replaces a rule's options file by file, so api/ repeats the module's patterns.
    const features = MODULE_FEATURES[name] ?? [];
    // A feature of a module reaches another feature only through that feature's index.ts.
    const featureFaces = features.map((feature) => ({
      files: [`libs/${name}/src/${feature}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              noApps,
              noDeepImports,
              order,
              {
                regex: `^\\.\\./\\.\\./(${features.filter((f) => f !== feature).join('|')})/(?!index\\.js$)`,
                message: `Another part of libs/${name} is reached through its index.ts (its public face), never its files.`,
              },
            ],
          },
        ],
      },
    }));
    return [
      { files: [`libs/${name}/src/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns: [noApps, noDeepImports, order] }] } },
      ...featureFaces,
      { files: [`libs/${name}/src/**/api/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns: [noApps, noDeepImports, order, noInfra] }] } },
    ];
  }),
  {
    files: ['apps/testing-facade/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^#', message: 'The testing façade uses the controller only through its public API: no lib.' },
            { regex: '(^|/)(libs|controller|simulator|demo)/', message: 'The testing façade uses the controller only through its public API.' },
          ],
        },
      ],
    },
  },
];
