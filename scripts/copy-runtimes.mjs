// tsc does not emit the bundled runtime (plain CommonJS that runs inside environments):
// copy it next to the compiled pool so dist/ is self-contained.
import { cpSync } from 'node:fs';

cpSync('src/runtimes', 'dist/runtimes', {
  recursive: true,
  filter: (src) => !src.endsWith('tsconfig.json') && !src.endsWith('.test.ts'),
});
