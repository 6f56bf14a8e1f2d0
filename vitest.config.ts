import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export default defineConfig({
  define: { __DARAJA_SDK_VERSION__: JSON.stringify(version) },
  // The examples import `daraja-sdk` as users do; in this repository that is the source.
  resolve: {
    alias: [
      { find: /^daraja-sdk\/postgres$/, replacement: src('postgres/index.ts') },
      { find: /^daraja-sdk\/simulator$/, replacement: src('simulator/index.ts') },
      { find: /^daraja-sdk\/testing$/, replacement: src('testing/index.ts') },
      { find: /^daraja-sdk\/results$/, replacement: src('inbound/index.ts') },
      { find: /^daraja-sdk\/journal$/, replacement: src('journal/index.ts') },
      { find: /^daraja-sdk\/messages$/, replacement: src('messages/index.ts') },
      { find: /^daraja-sdk$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/log-capture.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Pure tests run on fake time where they need it; integration tests use real sockets.
    restoreMocks: true,
  },
});
