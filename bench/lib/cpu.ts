// CPU accounting for one phase (Linux /proc): cores used by each named process tree, by everything
// this bench started, and by the rest of the machine. On a shared 2-core box the "other" figure says
// how much a result was disturbed, and per-message CPU compares systems independently of that noise.
import fs from 'node:fs';

const TICK = 100; // USER_HZ; Linux reports /proc times in 1/100 s

function readParents(): Map<number, number> {
  const parent = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited */ }
  }
  return parent;
}

function ticksOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch { return 0; }
}

/** CPU ticks of a process and all its live descendants. */
export function treeTicks(root: number, parent = readParents()): number {
  let total = 0;
  for (const pid of parent.keys()) {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parent.get(p), hops++) {
      if (p === root) { total += ticksOf(pid); break; }
    }
  }
  return total;
}

function machineBusyTicks(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu;
  return user + nice + system + irq + softirq + (steal ?? 0);
}

export interface CpuUse {
  seconds: number;
  cores: Record<string, number>; // per named process tree
  generatorCores: number; // the orchestrator process itself (the load generator runs in it)
  benchCores: number; // everything the bench started, generator included
  otherCores: number; // the rest of the machine: noise from outside the bench
}

export interface CpuSnapshot { at: number; machine: number; bench: number; self: number; named: Record<string, number> }

export function snapshot(named: Record<string, number | undefined>): CpuSnapshot {
  const parent = readParents();
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(named)) if (pid !== undefined) out[name] = treeTicks(pid, parent);
  const self = ticksOf(process.pid);
  return { at: performance.now(), machine: machineBusyTicks(), bench: treeTicks(process.pid, parent), self, named: out };
}

/** Cores used between two snapshots: per named tree, by the bench as a whole, and by everything else. */
export function usage(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks: number): number => (seconds > 0 ? ticks / TICK / seconds : 0);
  const named: Record<string, number> = {};
  for (const k of Object.keys(b.named)) named[k] = cores(b.named[k] - (a.named[k] ?? 0));
  const bench = cores(b.bench - a.bench);
  return { seconds, cores: named, generatorCores: cores(b.self - a.self), benchCores: bench, otherCores: Math.max(0, cores(b.machine - a.machine) - bench) };
}
