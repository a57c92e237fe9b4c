import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Task XML templates are imported as text, as esbuild's text loader does in the bundle.
  plugins: [
    {
      name: 'xml-as-text',
      transform(code: string, id: string) {
        return id.endsWith('.xml')
          ? { code: `export default ${JSON.stringify(code)};`, map: null }
          : undefined;
      },
    },
  ],
  test: {
    include: ['tests/**/*.test.ts'],
    // Every test process may talk to loopback only (tests/setup/loopback-guard.mjs).
    setupFiles: ['tests/setup/loopback-only.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
