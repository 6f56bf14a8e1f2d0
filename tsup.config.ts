import { defineConfig, type Options } from 'tsup';

const entry = {
  index: 'src/index.ts',
  postgres: 'src/postgres/index.ts',
  testing: 'src/testing/index.ts',
  simulator: 'src/simulator/index.ts',
  results: 'src/results/index.ts',
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
};

export default defineConfig([
  // ESM imports ky and zod from node_modules, so bundlers can share them with the app.
  // It also builds the `daraja-sim` command (dist/simulator-bin.js; the shebang comes from the source).
  { ...shared, entry: { ...entry, 'simulator-bin': 'src/simulator/bin.ts' }, format: ['esm'] },
  // ky ships ESM only: inline it into the CJS build so `require('daraja-sdk')` works.
  { ...shared, format: ['cjs'], noExternal: ['ky'] },
]);
