#!/usr/bin/env node
// The `hookbridge` command. Plain JavaScript that any Node with ES modules can parse (no optional chaining,
// no top-level await), so an old Node gets a clear message instead of a syntax error. npm links bins
// through symlinks (node_modules/.bin, npx, npm i -g, npm link); Node resolves the real path of the main
// module, so import.meta.url is this file's real location.
//  - installed package: runs dist/cli/main.js (JavaScript emitted by `tsc -p tsconfig.build.json` at pack
//    time; Node does not strip types under node_modules)
//  - a clone of the repository: runs the TypeScript sources, cli/main.ts (no build step for development)
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const range = (pkg.engines && pkg.engines.node) || '>=24';
const wanted = Number((/\d+/.exec(range) || ['24'])[0]);
const major = Number(process.versions.node.split('.')[0]);
if (major < wanted) {
  process.stderr.write(`hookbridge ${pkg.version} needs Node.js ${range} (this is Node.js ${process.versions.node} at ${process.execPath}).\n`
    + `Install Node.js ${wanted} or newer (https://nodejs.org, or \`nvm install ${wanted}\`) and run it again.\n`);
  process.exit(1);
}
const source = new URL('cli/main.ts', root);
import(existsSync(source) ? source.href : new URL('dist/cli/main.js', root).href).catch((err) => {
  process.stderr.write(`${(err && err.stack) || err}\n`);
  process.exit(1);
});
