import { defineConfig } from 'vitest/config';

// Two kinds of suites: Node (core, CLI, Electron main against the fake, integration, e2e in
// real Chromium) and DOM (renderer components under jsdom).
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/renderer/components/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'dom',
          environment: 'jsdom',
          include: ['test/renderer/components/**/*.test.{ts,tsx}'],
        },
      },
    ],
  },
});
