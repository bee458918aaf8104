/**
 * Sums up a V8 CPU profile (`node --cpu-prof`): self time by function and by package, busy time only (idle, GC and
 * "(program)" reported apart).
 *
 *   npx tsx bench/profile.ts <file.cpuprofile> [TOP=25]
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: npx tsx bench/profile.ts <file.cpuprofile> [TOP]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

/** Where a frame comes from: a package under node_modules, node's own code, or ours (src/…). */
function origin(url: string): string {
  if (!url) return '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node';
  const src = /\/(src|bench)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2].split('/')[0]}` : url;
}

const fns = new Map<string, number>();
const origins = new Map<string, number>();
let busy = 0;
const special = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (['(idle)', '(garbage collector)', '(program)', '(root)'].includes(functionName)) {
    special.set(functionName, (special.get(functionName) ?? 0) + us);
    continue;
  }
  busy += us;
  const key = `${functionName || '(anonymous)'}  ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')}:${lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  origins.set(origin(url), (origins.get(origin(url)) ?? 0) + us);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
console.log(
  `profile ${(total / 1e6).toFixed(1)} s: busy ${(busy / 1e6).toFixed(1)} s; ${[...special].map(([k, v]) => `${k} ${(v / 1e6).toFixed(1)} s`).join(', ')}`,
);
console.log('\nself time by package (of busy):');
for (const [k, v] of [...origins].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(v)} ms ${pct(v)}  ${k}`);
console.log('\nself time by function (of busy):');
for (const [k, v] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(v)} ms ${pct(v)}  ${k}`);

// CALLERS=<function name>: where that function's self time is called from (three frames up).
const callersOf = process.env.CALLERS;
if (callersOf) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frame = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    return `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')}:${lineNumber + 1}`;
  };
  const chains = new Map<string, number>();
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName !== callersOf) continue;
    const up: string[] = [];
    for (let p = parent.get(id), k = 0; p !== undefined && k < Number(process.env.DEPTH ?? 4); p = parent.get(p), k++)
      up.push(frame(p));
    const key = up.join('  <  ');
    chains.set(key, (chains.get(key) ?? 0) + us);
  }
  console.log(`\n${callersOf} called from:`);
  for (const [k, v] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(v)} ms  ${k}`);
}
