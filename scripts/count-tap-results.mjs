#!/usr/bin/env node
// Counts the top-level tests of the tap result files under the given folders and prints the one
// summary line CI reads: "N passed, N failed" (", N skipped" when any were skipped).
// tap keeps each test file's raw TAP output in <cwd>/.tap/test-results/; CI moves each run's folder
// aside before the next run. A top-level "ok N"/"not ok N" line is one test (a t.test block or a
// top-level assertion).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

function* tapFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tapFiles(path);
    else if (name.endsWith('.tap')) yield path;
  }
}

for (const root of roots) {
  for (const file of tapFiles(root)) {
    let sawResult = false;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^(not )?ok \d+/.exec(line);
      if (!match) continue;
      sawResult = true;
      if (/# (SKIP|TODO)\b/i.test(line)) skipped++;
      else if (match[1]) failed++;
      else passed++;
    }
    // A file that died before reporting anything is a failure, not silence.
    if (!sawResult) failed++;
  }
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
