// `npm start`: launches the desktop app when the Electron binary is installed; otherwise says, in one
// line, what to use instead.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function electronBinary(): string | null {
  try {
    const path = require('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) {
  process.stderr.write(
    'Hangar: the Electron binary is not installed here (it cannot be downloaded on this machine); use web mode instead: npm run web (or the command line: npm run -s hangar -- help)\n',
  );
  process.exit(1);
}
const child = spawn(binary, ['.'], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
