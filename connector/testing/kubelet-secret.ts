// Writes a Secret volume the way kubelet's atomic writer does: files live in a timestamped directory,
// `..data` is a symlink to it, each key is a symlink `key -> ..data/key`, and an update swaps `..data`
// with a rename. Used by tests to prove the connector notices rotations like a real pod would.
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

let n = 0;
export function writeSecretVolume(dir: string, data: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  const ts = `..${Date.now()}_${++n}`;
  mkdirSync(join(dir, ts));
  for (const [k, v] of Object.entries(data)) writeFileSync(join(dir, ts, k), v, { mode: 0o600 });
  const old = existsSync(join(dir, '..data')) ? readlinkSync(join(dir, '..data')) : undefined;
  symlinkSync(ts, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const k of Object.keys(data)) if (!existsSync(join(dir, k))) symlinkSync(join('..data', k), join(dir, k));
  if (old) rmSync(join(dir, old), { recursive: true, force: true });
}
