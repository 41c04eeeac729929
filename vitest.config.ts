import { defineConfig } from 'vitest/config';

// The plugin end-to-end tests run once per VM engine (PQUIC_ENGINE sets the plugins' default
// engine, src/plugins/plugin.ts), so both engines are proven by every `npm test`.
const PLUGINS = 'test/plugins/**/*.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: [PLUGINS] } },
      { extends: true, test: { name: 'plugins-interpreter', include: [PLUGINS], env: { PQUIC_ENGINE: 'interpreter' } } },
      { extends: true, test: { name: 'plugins-jit', include: [PLUGINS], env: { PQUIC_ENGINE: 'jit' } } },
    ],
  },
});
