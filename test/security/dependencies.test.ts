import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';

const requireFrom = createRequire(__filename);

/**
 * The Socket.IO stack must stay past its published advisories (npm's audit endpoint is not always reachable from
 * CI, so the floor is written down here): each entry is the first fixed version and the advisory it fixes.
 */
const FLOORS: [pkg: string, fixed: string, advisory: string][] = [
  ['socket.io', '4.6.2', 'CVE-2024-38355: an unhandled error event crashes the server'],
  ['socket.io-parser', '4.2.3', 'CVE-2023-32695: a crafted packet crashes the server'],
  ['engine.io', '6.4.2', 'CVE-2023-31125: a crafted request crashes the server'],
  ['ws', '8.17.1', 'CVE-2024-37890: many headers crash the server'],
  ['express', '5.0.0', 'CVE-2024-43796 / CVE-2024-45590 (send, body-parser) in Express 4'],
];

const parse = (v: string) => v.split('-')[0].split('.').map(Number);
const atLeast = (v: string, floor: string) => {
  const [a, b] = [parse(v), parse(floor)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};

describe('dependencies: the network-facing stack is past its known advisories', () => {
  for (const [pkg, fixed, advisory] of FLOORS) {
    it(`${pkg} ≥ ${fixed} (${advisory.split(':')[0]})`, () => {
      // Resolved the way the server resolves it (socket.io's own engine.io and ws, not a copy elsewhere).
      const from = pkg === 'engine.io' || pkg === 'ws' ? requireFrom.resolve('socket.io') : __filename;
      const entry = createRequire(from).resolve(pkg);
      const root = entry.slice(0, entry.lastIndexOf(`${path.sep}node_modules${path.sep}${pkg}${path.sep}`));
      const manifest = path.join(root, 'node_modules', pkg, 'package.json');
      const version: string = JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
      expect(atLeast(version, fixed), `${pkg} ${version}: ${advisory}`).to.equal(true);
    });
  }
});
