/** Small measurement helpers shared by the benchmark's processes. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/**
 * Total CPU time of the machine so far (all cores): busy and idle, in ticks. From /proc/stat,
 * where time waiting for I/O (fsync) counts as idle — os.cpus() leaves it out of both, which
 * would make a commit-bound run look busy — else from os.cpus().
 */
function machineCpu(): { busy: number; idle: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
  } catch {
    /* not Linux */
  }
  let busy = 0;
  let idle = 0;
  for (const c of os.cpus()) {
    busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
    idle += c.times.idle;
  }
  return { busy, idle };
}

export interface CpuReport {
  /** Wall time, seconds. */
  seconds: number;
  /** Busy fraction of the whole machine (1 = every core busy). */
  machine: number;
  /** CPU seconds per wall second of this process (1 = one core), i.e. the servers under test. */
  thisProcess: number;
}

/** Starts a CPU measurement; call the returned function to end it. */
export function cpuMeter(): () => CpuReport {
  const m0 = machineCpu();
  const p0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const m1 = machineCpu();
    const p = process.cpuUsage(p0);
    const seconds = (performance.now() - t0) / 1000;
    const busy = m1.busy - m0.busy;
    const total = busy + (m1.idle - m0.idle);
    return { seconds, machine: total > 0 ? busy / total : NaN, thisProcess: (p.user + p.system) / 1e6 / seconds };
  };
}

/** CPU seconds (user + system) a Linux process has used so far; 0 once it is gone or off Linux. */
export function processCpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/**
 * The PostgreSQL server's processes (the postmaster and every backend and helper), by command name;
 * with `postmaster`, that server's only (another PostgreSQL on the machine, e.g. a test suite's,
 * is left out).
 */
export function postgresPids(postmaster?: number): number[] {
  if (postmaster !== undefined) {
    try {
      return [postmaster, ...execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)];
    } catch {
      return [postmaster];
    }
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Linux's USER_HZ: /proc times are in hundredths of a second on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/**
 * What a PostgreSQL process does, from the title it gives itself (`postgres: autovacuum worker`,
 * `postgres: walwriter`, `postgres: <user> <db> <client> idle`, …): the part of the server's
 * CPU the bench reports it under.
 */
export function postgresRole(pid: number): string {
  let title = '';
  try {
    title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return 'backends';
  }
  if (!title.includes('postgres:')) return 'postmaster';
  if (/autovacuum/.test(title)) return 'autovacuum';
  if (/checkpointer|background writer|walwriter|wal writer/.test(title)) return 'wal and checkpoints';
  if (/io worker/.test(title)) return 'io workers';
  return 'backends';
}

/**
 * Starts counting the CPU time of named processes, PostgreSQL's (all of them, backends come and go:
 * each is sampled every second and its last sample kept; one that appears meanwhile counts from
 * zero) included; the returned function ends it and answers CPU seconds per wall second for each
 * name (1 = one core), PostgreSQL's split by what its processes do (`postgresRoles`), and the busiest
 * single backend's share (one backend runs one statement on one core: near 1, it is the bottleneck).
 * With `postmaster`, only that server's processes count as PostgreSQL's.
 */
export function processCpuMeter(named: Record<string, number>, postmaster?: number): {
  stop: () => { cores: Record<string, number>; postgresRoles: Record<string, number>; busiestBackend: number };
} {
  const t0 = performance.now();
  const start = new Map<number, number>();
  const last = new Map<number, number>();
  const role = new Map<number, string>();
  let first = true;
  const own = new Set(Object.values(named));
  const sample = () => {
    for (const pid of [...Object.values(named), ...postgresPids(postmaster)]) {
      const s = processCpuSeconds(pid);
      if (!start.has(pid)) start.set(pid, first ? s : 0);
      if (!own.has(pid) && !role.has(pid)) role.set(pid, postgresRole(pid));
      if (s > 0) last.set(pid, s);
    }
    first = false;
  };
  sample();
  const timer = setInterval(sample, 1000);
  timer.unref();
  return {
    stop() {
      sample();
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      const used = (pid: number) => (last.get(pid) ?? 0) - (start.get(pid) ?? 0);
      const cores: Record<string, number> = {};
      for (const [name, pid] of Object.entries(named)) cores[name] = used(pid) / seconds;
      const postgresRoles: Record<string, number> = {};
      let busiestBackend = 0;
      for (const [pid, r] of role) {
        postgresRoles[r] = (postgresRoles[r] ?? 0) + used(pid) / seconds;
        if (r === 'backends') busiestBackend = Math.max(busiestBackend, used(pid) / seconds);
      }
      cores.postgres = Object.values(postgresRoles).reduce((a, b) => a + b, 0);
      return { cores, postgresRoles, busiestBackend };
    },
  };
}
