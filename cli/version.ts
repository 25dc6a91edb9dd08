// The package version, read from package.json: one level up from cli/ in the repository, two from
// dist/cli/ in the installed package.
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hookbridge' && pkg.version) return pkg.version;
    } catch { /* try the next */ }
  }
  return 'unknown';
}
