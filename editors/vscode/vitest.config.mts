import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `vscode` exists only inside VS Code: tests get a hand-written stand-in (test/mocks/vscode.ts).
export default defineConfig({
  resolve: {
    alias: { vscode: fileURLToPath(new URL('./test/mocks/vscode.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
