// Fails `npm test` when line coverage of a workspace's src/ drops below its floor (the first
// argument, in %). Run by each workspace's posttest, in that workspace's folder, after tap wrote
// .tap/report/coverage-summary.json. tap itself is told not to demand 100% (allow-incomplete-coverage).
import { readFileSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';

const FLOOR = Number(process.argv[2]);
if (!(FLOOR > 0 && FLOOR <= 100)) {
  console.error('usage: check-coverage.mjs <floor %>');
  process.exit(2);
}
const pkg = process.cwd();
const name = basename(pkg);
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
const line = `${name}/src line coverage ${pct.toFixed(2)}% (${covered}/${total}), floor ${FLOOR}%`;
if (total === 0 || pct < FLOOR) {
  console.error(`check-coverage: FAIL ${line}`);
  process.exit(1);
}
console.log(`check-coverage: ok ${line}`);
