// Fails `npm test` when line coverage of chaincode/src drops below the floor. tap itself is told
// not to demand 100% (allow-incomplete-coverage); this is the bar the project agreed on.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const FLOOR = 90;
const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const summaryPath = join(pkg, '.tap', 'report', 'coverage-summary.json');
let summary;
try {
  summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
} catch {
  console.error(`check-coverage: no coverage summary at ${summaryPath} (did tap run with coverage?)`);
  process.exit(1);
}
const src = join(pkg, 'src') + sep;
let covered = 0;
let total = 0;
for (const [file, entry] of Object.entries(summary)) {
  if (file === 'total' || !resolve(pkg, file).startsWith(src)) continue;
  covered += entry.lines.covered;
  total += entry.lines.total;
}
const pct = total === 0 ? 0 : (100 * covered) / total;
const line = `chaincode/src line coverage ${pct.toFixed(2)}% (${covered}/${total}), floor ${FLOOR}%`;
if (total === 0 || pct < FLOOR) {
  console.error(`check-coverage: FAIL ${line}`);
  process.exit(1);
}
console.log(`check-coverage: ok ${line}`);
