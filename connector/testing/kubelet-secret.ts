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

/**
 * A projected volume (what the operator's connector Deployment mounts): every item path (e.g.
 * `secrets/sink-hookbridge-token/token`) lives under one timestamped directory, `..data` points at it,
 * and each top-level entry (`secrets`) is a symlink `secrets -> ..data/secrets`. An update writes a new
 * timestamped directory and renames `..data` — at the volume root, not in the file's directory.
 */
export function writeProjectedVolume(root: string, items: Record<string, string>): void {
  mkdirSync(root, { recursive: true });
  const ts = `..${Date.now()}_${++n}`;
  for (const [p, v] of Object.entries(items)) {
    mkdirSync(join(root, ts, p, '..'), { recursive: true });
    writeFileSync(join(root, ts, p), v, { mode: 0o600 });
  }
  const old = existsSync(join(root, '..data')) ? readlinkSync(join(root, '..data')) : undefined;
  symlinkSync(ts, join(root, '..data_tmp'));
  renameSync(join(root, '..data_tmp'), join(root, '..data'));
  for (const top of new Set(Object.keys(items).map((p) => p.split('/')[0]))) {
    if (!existsSync(join(root, top))) symlinkSync(join('..data', top), join(root, top));
  }
  if (old) rmSync(join(root, old), { recursive: true, force: true });
}
