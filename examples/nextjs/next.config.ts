import { fileURLToPath } from 'node:url';

interface WebpackConfig {
  resolve: { extensionAlias?: Record<string, string[]> };
  module: { parser?: Record<string, Record<string, unknown>> };
  optimization: { minimize?: boolean };
}

const root = fileURLToPath(new URL('../..', import.meta.url));

// Typed by Next.js when it loads this file (not imported here: see app.ts on Next.js's global types).
const config = {
  // The build output stays out of the repository (git-ignored) and away from other examples.
  distDir: '.next',
  // PGlite loads its WebAssembly and data files from its own folder; pg has optional native parts.
  serverExternalPackages: ['@electric-sql/pglite', 'pg'],
  // Type-checked by the repository's `npm run typecheck` (examples/tsconfig.json), not at build.
  typescript: { ignoreBuildErrors: true },
  // The imports are the ones a user writes (`daraja-sdk`, `daraja-sdk/postgres`…); in this repository
  // they resolve to the source, through this folder's tsconfig.json (its `paths`).
  turbopack: { root },
  outputFileTracingRoot: root,
  // The source imports `./x.js` for `./x.ts` (NodeNext); webpack needs to be told.
  // examples/shared/service.ts reads page.html at `new URL('./page.html', import.meta.url)`: left to Node,
  // not turned into a webpack asset.
  webpack: (webpackConfig: WebpackConfig) => {
    webpackConfig.resolve.extensionAlias = { '.js': ['.ts', '.js'] };
    webpackConfig.optimization.minimize = false; // server code: minifying only slows the build
    webpackConfig.module.parser = {
      ...webpackConfig.module.parser,
      javascript: { ...webpackConfig.module.parser?.['javascript'], url: false },
    };
    return webpackConfig;
  },
};

export default config;
