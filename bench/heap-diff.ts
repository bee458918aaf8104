/**
 * What one socket adds to the heap, by kind of object, on two servers side by side: heap snapshots taken before and
 * after N sockets connected (bench/sockets.ts with PROFILE_DIR writes `<server>-0` and `<server>-<N>`).
 *
 *   npx tsx bench/heap-diff.ts <dir> <server> <baseline-server> <N> [TOP=30]
 *   e.g. npx tsx bench/heap-diff.ts /tmp/prof hub stock 5000
 *
 * Objects are grouped by snapshot type and constructor (closures by function name, strings and arrays together);
 * each row is the count and bytes per socket ((after − before) / N), for both servers, and the difference.
 */
import fs from 'node:fs';
import path from 'node:path';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function groups(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [T, N, S] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + T]];
    const name = snap.strings[snap.nodes[i + N]];
    const key =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? '(strings)'
        : type === 'object' || type === 'closure'
          ? `${type === 'closure' ? 'closure ' : ''}${name.slice(0, 60)}`
          : `(${type}) ${type === 'array' || type === 'code' || type === 'hidden' ? name.slice(0, 40) : ''}`;
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += snap.nodes[i + S];
    out.set(key, g);
  }
  return out;
}

function perSocket(dir: string, server: string, n: number) {
  const before = groups(path.join(dir, `${server}-0.heapsnapshot`));
  const after = groups(path.join(dir, `${server}-${n}.heapsnapshot`));
  const out = new Map<string, { count: number; bytes: number }>();
  for (const [k, a] of after) {
    const b = before.get(k) ?? { count: 0, bytes: 0 };
    out.set(k, { count: (a.count - b.count) / n, bytes: (a.bytes - b.bytes) / n });
  }
  return out;
}

const [dir, server, base, nArg, topArg] = process.argv.slice(2);
if (!dir || !server || !base || !nArg)
  throw new Error('usage: npx tsx bench/heap-diff.ts <dir> <server> <baseline> <N> [TOP]');
const n = Number(nArg);
const a = perSocket(dir, server, n);
const b = perSocket(dir, base, n);
const total = (m: Map<string, { bytes: number }>) => [...m.values()].reduce((s, g) => s + g.bytes, 0);
console.log(
  `bytes per socket: ${server} ${total(a).toFixed(0)}, ${base} ${total(b).toFixed(0)} (self sizes, all kinds)`,
);
const keys = new Set([...a.keys(), ...b.keys()]);
const rows = [...keys].map((k) => {
  const x = a.get(k) ?? { count: 0, bytes: 0 };
  const y = b.get(k) ?? { count: 0, bytes: 0 };
  return { k, x, y, d: x.bytes - y.bytes };
});
rows.sort((p, q) => Math.abs(q.d) - Math.abs(p.d));
const f = (v: number, w = 8) => v.toFixed(1).padStart(w);
console.log(
  `${'per socket'.padEnd(66)} ${`${server} n`.padStart(8)} ${'bytes'.padStart(8)} ${`${base} n`.padStart(8)} ${'bytes'.padStart(8)} ${'Δ bytes'.padStart(8)}`,
);
for (const r of rows.slice(0, Number(topArg ?? 30)))
  console.log(`${r.k.padEnd(66)} ${f(r.x.count)} ${f(r.x.bytes)} ${f(r.y.count)} ${f(r.y.bytes)} ${f(r.d)}`);
