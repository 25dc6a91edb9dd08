#!/usr/bin/env node
// The `hookbridge` command. Plain JavaScript that any Node can parse, so an old Node gets a clear message
// instead of a syntax error. npm links bins through symlinks (node_modules/.bin, npx, npm i -g, npm link);
// Node resolves the real path of the main module, so import.meta.url is this file's real location.
//  - installed package: runs dist/cli/main.js (JavaScript emitted by `tsc -p tsconfig.build.json` at pack
//    time; Node does not strip types under node_modules)
//  - a clone of the repository: runs the TypeScript sources, cli/main.ts (no build step for development)
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const wanted = Number(/\d+/.exec(pkg.engines?.node ?? '24')?.[0] ?? 24);
const major = Number(process.versions.node.split('.')[0]);
if (major < wanted) {
  process.stderr.write(`hookbridge ${pkg.version} needs Node.js ${pkg.engines.node} (this is Node.js ${process.versions.node} at ${process.execPath}).\n`
    + 'Install Node.js 24 LTS (https://nodejs.org, or `nvm install 24`) and run it again.\n');
  process.exit(1);
}
const source = new URL('cli/main.ts', root);
await import(existsSync(source) ? source.href : new URL('dist/cli/main.js', root).href);
