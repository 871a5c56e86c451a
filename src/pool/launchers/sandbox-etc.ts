/**
 * The `/etc` every sandbox sees (sandbox-launcher.ts): one directory hearth prepares when
 * its sandbox launcher opens, bound read-only at `/etc`, holding copies of the few host
 * entries a runtime needs (TLS roots, users, time zone, the loader's cache) and nothing
 * else: no shadow, no hearth configuration, not `ssl/private`.
 *
 * Why one prepared directory rather than a bind per entry: each bind mount costs bwrap
 * about 0.25 ms of CPU at every start (it reads the mount table to remount it read-only),
 * and sixteen of them were a third of the sandbox's start overhead (bench/sandbox.mjs;
 * src/pool/README.md "Sandbox start cost").
 *
 *   - `resolv.conf` and `hosts` are still bound from the host at each start (they change
 *     while hearth runs: DHCP, a container's runtime);
 *   - `nsswitch.conf` names only `files` for users and groups: in a sandbox there is no
 *     systemd or LDAP to ask, and `setpriv --reuid=N` looks N up as a name first, which
 *     otherwise loads `libnss_systemd` and its libraries at every start;
 *   - the rest is copied once: a change on the host (new CA certificates) reaches
 *     sandboxes when hearth restarts.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Copied once (when they exist). */
export const ETC_COPIED = [
  'host.conf',
  'gai.conf',
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'pki',
  'passwd',
  'group',
  'localtime',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'os-release',
  'mime.types',
];
/** Bound from the host at every start, over an empty placeholder. */
export const ETC_LIVE = ['resolv.conf', 'hosts'];

/** Entries of the copied folders that stay out (private keys). */
const EXCLUDED = ['ssl/private'];

/** The host's nsswitch.conf with users and groups from files only (see above). */
export function sandboxNsswitch(host: string | undefined): string {
  const fixed = new Set(['passwd', 'group', 'shadow', 'gshadow']);
  const lines = (host ?? '').split('\n').filter((l) => {
    const db = /^\s*([a-z]+)\s*:/.exec(l)?.[1];
    return db === undefined || !fixed.has(db);
  });
  return ['passwd: files', 'group: files', ...lines.filter((l) => l.trim() !== '' && !l.startsWith('#'))]
    .join('\n')
    .concat('\n');
}

export interface SandboxEtc {
  readonly dir: string;
  /** Host files bound over their placeholders at each start: [host path, path in /etc]. */
  readonly live: readonly (readonly [string, string])[];
  dispose(): void;
}

const PREFIX = 'hearth-sandbox-etc-';

/** Whether process `pid` exists (signal 0: EPERM means it exists, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes what a hearth that died without disposing its launcher left (its pid is in the name). */
export function sweepSandboxEtc(dir = tmpdir()): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^hearth-sandbox-etc-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) {
      rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

/** Prepares the directory under the system's temp dir; `root` is the host's root (tests). */
export function prepareSandboxEtc(root = '/'): SandboxEtc {
  sweepSandboxEtc();
  const dir = mkdtempSync(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
  try {
    chmodSync(dir, 0o755);
    const hostEtc = path.join(root, 'etc');
    for (const name of ETC_COPIED) {
      const from = path.join(hostEtc, name);
      if (!existsSync(from)) {
        continue;
      }
      cpSync(from, path.join(dir, name), {
        recursive: true,
        verbatimSymlinks: true,
        filter: (src) => !EXCLUDED.some((x) => src === path.join(hostEtc, x)),
      });
    }
    let nsswitch: string | undefined;
    try {
      nsswitch = readFileSync(path.join(hostEtc, 'nsswitch.conf'), 'utf8');
    } catch {
      nsswitch = undefined;
    }
    writeFileSync(path.join(dir, 'nsswitch.conf'), sandboxNsswitch(nsswitch), { mode: 0o644 });
    const live: [string, string][] = [];
    for (const name of ETC_LIVE) {
      const from = path.join(hostEtc, name);
      if (existsSync(from)) {
        writeFileSync(path.join(dir, name), '', { mode: 0o644 });
        live.push([from, `/etc/${name}`]);
      }
    }
    return {
      dir,
      live,
      dispose: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
