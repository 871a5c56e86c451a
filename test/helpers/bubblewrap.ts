/**
 * Whether bubblewrap is on the PATH and sandboxes here, probed once as hearth probes it
 * (sandbox-launcher.ts): suites that need a real sandbox run only where it does, and
 * test/integration/sandbox.test.ts fails in CI when it does not (.ci/run installs it).
 */
import { findOnPath } from '../../src/pool/launch.js';
import { prepareSandboxEtc } from '../../src/pool/launchers/sandbox-etc.js';
import { probeBubblewrap } from '../../src/pool/launchers/sandbox-command-line.js';

let usable: boolean | undefined;

export function bubblewrapUsable(): boolean {
  usable ??= probe();
  return usable;
}

function probe(): boolean {
  const bwrap = findOnPath('bwrap', process.env.PATH ?? '');
  if (bwrap === undefined || process.platform !== 'linux') {
    return false;
  }
  const etc = prepareSandboxEtc();
  try {
    return probeBubblewrap(bwrap, etc).ok;
  } finally {
    etc.dispose();
  }
}
