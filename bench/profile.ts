/**
 * CPU profile of the event path: the service under the same load with `node --cpu-prof`,
 * summarised as self time per function and per area (our code, Fastify, pino, XState,
 * better-sqlite3, V8/GC, Node internals).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Measured, measure, type Running, type RunSpec, startEchoTarget, startTarget } from './events.js';
import type { EventTarget } from './targets.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  where: string;
  area: string;
  selfMs: number;
  /** Share of the non-idle samples. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  load: Measured;
  busyMs: number;
  idleShare: number;
  /** False when no sample fell inside the measured window (then the whole profile is used). */
  windowed: boolean;
  top: ProfileEntry[];
  areas: { area: string; selfMs: number; share: number }[];
}

function areaOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'V8 GC';
  if (name === '(program)') return 'V8/native (program)';
  if (url === '') return name.startsWith('(') ? name : 'native (no url)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src/')) return 'callflow src/';
  if (url.includes('/machines/')) return 'callflow machines/';
  return url;
}

function shortUrl(url: string, line: number): string {
  const trimmed = url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(src|machines)\//, '$1/');
  // Line numbers of .ts files are those of tsx's output, not of the source: leave them out.
  return trimmed && !trimmed.endsWith('.ts') ? `${trimmed}:${line + 1}` : trimmed;
}

/** Self time per function; only samples inside `window` (CLOCK_MONOTONIC µs) when given. */
export function summarise(
  profile: CpuProfile,
  window?: [number, number],
  topN = 25,
): Omit<ProfileSummary, 'file' | 'load'> {
  if (window) {
    const inside = summariseWindow(profile, window, topN);
    if (inside.busyMs > 0) return { ...inside, windowed: true };
  }
  return { ...summariseWindow(profile, undefined, topN), windowed: false };
}

function summariseWindow(
  profile: CpuProfile,
  window: [number, number] | undefined,
  topN: number,
): Omit<ProfileSummary, 'file' | 'load' | 'windowed'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window[0] || at > window[1])) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  let idleUs = 0;
  let busyUs = 0;
  const functions = new Map<string, ProfileEntry>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const name = functionName || '(anonymous)';
    const where = shortUrl(url, lineNumber);
    const area = areaOf(url, name);
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, area, selfMs: 0, share: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
    areas.set(area, (areas.get(area) ?? 0) + us / 1000);
  }
  const busyMs = busyUs / 1000;
  const top = [...functions.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topN)
    .map((e) => ({ ...e, share: e.selfMs / busyMs }));
  return {
    busyMs,
    idleShare: idleUs / (idleUs + busyUs),
    top,
    areas: [...areas.entries()]
      .map(([area, selfMs]) => ({ area, selfMs, share: selfMs / busyMs }))
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}

/** Starts a target with `--cpu-prof`, loads it, stops it and summarises its profile. */
export async function profileRunning(
  name: string,
  start: (nodeArgs: string[]) => Promise<Running>,
  dir: string,
  spec: RunSpec,
): Promise<ProfileSummary> {
  const profDir = join(dir, `profile-${name}`);
  mkdirSync(profDir, { recursive: true });
  const running = await start(['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  let load: Measured;
  try {
    load = await measure(running, spec);
  } finally {
    await running.stop(); // the profile is written on exit
  }
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${profDir}`);
  // One per node; the first node's is representative (all take the same load).
  const file = join(profDir, files.sort()[0]!);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return { file, load, ...summarise(profile, load.windowUs) };
}

export function profileTarget(target: EventTarget, dir: string, spec: RunSpec): Promise<ProfileSummary> {
  return profileRunning(target.name, (nodeArgs) => startTarget(target, dir, spec.calls, nodeArgs), dir, spec);
}

export function profileEcho(dir: string, spec: RunSpec): Promise<ProfileSummary> {
  return profileRunning('echo', (nodeArgs) => startEchoTarget(dir, nodeArgs), dir, spec);
}
