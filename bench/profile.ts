// `make bench-profile`: summarises the V8 CPU profiles of a bench run (one .cpuprofile per receiver and
// connector process, written by `bench/run.ts --bench-node-args "--cpu-prof --cpu-prof-dir=DIR"`) as
// text: self time by module and by function, per process role. Usage: node bench/profile.ts DIR [TOP]
import fs from 'node:fs';
import path from 'node:path';
import { type CpuProfile, formatSummary, summarize } from './lib/profile-summary.ts';

const [dir, topArg] = process.argv.slice(2);
if (dir === undefined) {
  process.stderr.write('usage: node bench/profile.ts DIR-WITH-CPUPROFILES [TOP=25]\n');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '..');
const byRole = new Map<string, CpuProfile[]>();
for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).sort()) {
  const profile = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as CpuProfile;
  // The file name only carries a pid, so a process's role is the component its own frames come from.
  const urls = profile.nodes.map((n) => n.callFrame.url);
  const count = (part: string) => urls.filter((u) => u.includes(`${root}/${part}/`)).length;
  const role = count('receiver') >= count('connector') ? 'receiver' : 'connector';
  byRole.set(role, [...(byRole.get(role) ?? []), profile]);
}
if (byRole.size === 0) {
  process.stderr.write(`no .cpuprofile files in ${dir}\n`);
  process.exit(1);
}
for (const [role, profiles] of byRole) {
  const title = `${role} (${profiles.length} process${profiles.length === 1 ? '' : 'es'})`;
  process.stdout.write(`${formatSummary(title, summarize(profiles, root), Number(topArg ?? 25))}\n\n`);
}
