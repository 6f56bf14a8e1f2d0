import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const entry = {
  index: 'src/index.ts',
  postgres: 'src/postgres/index.ts',
  mongodb: 'src/mongodb/index.ts',
  redis: 'src/redis/index.ts',
  mysql: 'src/mysql/index.ts',
  testing: 'src/testing/index.ts',
  simulator: 'src/simulator/index.ts',
  results: 'src/inbound/index.ts',
  journal: 'src/journal/index.ts',
  messages: 'src/messages/index.ts',
};

const shared: Options = {
  entry,
  target: 'node20',
  platform: 'node',
  dts: { entry, compilerOptions: { ignoreDeprecations: '6.0' } },
  sourcemap: true,
  treeshake: true,
  splitting: true,
  removeNodeProtocol: false,
  define: { __DARAJA_SDK_VERSION__: JSON.stringify(version) },
};

export default defineConfig([
  // ESM imports ky and zod from node_modules, so bundlers can share them with the app.
  // It also builds the `daraja-sim` and `daraja` commands (dist/simulator-bin.js, dist/cli.js; the
  // shebangs come from the sources). `daraja migrate` imports `pg` at run time, from the user's
  // node_modules: it is a devDependency here, never bundled.
  {
    ...shared,
    entry: { ...entry, 'simulator-bin': 'src/cli/sim-bin.ts', cli: 'src/cli/bin.ts' },
    format: ['esm'],
    external: ['pg'],
  },
  // ky ships ESM only: inline it into the CJS build so `require('daraja-sdk')` works.
  { ...shared, format: ['cjs'], noExternal: ['ky'] },
]);
