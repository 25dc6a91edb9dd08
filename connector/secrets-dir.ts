// `hookbridge dev`'s (and tests') stand-in for mounted Secrets: a private temp dir (0700) with one folder per
// namespace laid out like the connector's --secrets-dir in a pod (`secrets/<secret>/<key>`, 0600), so
// the same connector code reads its token and signing secrets from files and notices when they change.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export class DevSecretsDir {
  readonly root: string;
  constructor() { this.root = mkdtempSync(join(tmpdir(), 'hookbridge-dev-')); }

  /** The --secrets-dir for one namespace's connector. */
  namespaceDir(ns: string): string {
    const dir = join(this.root, ns);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Writes `value` at `relPath` under the namespace dir (atomically, 0600) if it differs. */
  write(ns: string, relPath: string, value: string): void {
    const file = join(this.namespaceDir(ns), relPath);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    let old: string | undefined;
    try { old = readFileSync(file, 'utf8'); } catch { /* new */ }
    if (old === value) return;
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, value, { mode: 0o600 });
    renameSync(tmp, file);
  }

  remove(): void { rmSync(this.root, { recursive: true, force: true }); }
}
