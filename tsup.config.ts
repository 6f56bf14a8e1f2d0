import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  entry: {
    index: 'src/index.ts',
    postgres: 'src/postgres/index.ts',
    testing: 'src/testing/index.ts',
  },
  target: 'node20',
  platform: 'node',
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  sourcemap: true,
  treeshake: true,
  splitting: true,
  removeNodeProtocol: false,
};

export default defineConfig([
  // ESM imports ky and zod from node_modules, so bundlers can share them with the app.
  { ...shared, format: ['esm'] },
  // ky ships ESM only: inline it into the CJS build so `require('daraja-sdk')` works.
  { ...shared, format: ['cjs'], noExternal: ['ky'] },
]);
