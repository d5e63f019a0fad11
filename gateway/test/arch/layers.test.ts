/**
 * The layer rule (gateway/scripts/layers.mjs, also the ESLint rule medrec/layers): gateway/src has no
 * import from a lower layer to a higher one and none into demo, entry point or test code — and the
 * check does fail when a file breaks it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

interface Layers {
  LAYERS: string[];
  violation(from: string, to: string): string | undefined;
  packageViolation(from: string, spec: string): string | undefined;
  scan(root: string): string[];
}

// dist/test/arch → the gateway package
const GATEWAY = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const layers = (await import(join(GATEWAY, 'scripts', 'layers.mjs'))) as Layers;

t.test('gateway/src keeps its layers and never imports demo or test code', async (t) => {
  t.same(layers.scan(GATEWAY), []);
});

t.test('the rule itself: downward and sideways imports pass, upward and outward ones fail', async (t) => {
  t.equal(layers.violation('src/services/gatekeeper/answer.ts', 'src/contract/medrec.ts'), undefined);
  t.equal(layers.violation('src/services/gatekeeper/answer.ts', 'src/services/records/records.ts'), undefined);
  t.equal(layers.violation('src/system/system.ts', 'src/http/app.ts'), undefined);
  t.equal(layers.violation('bin/start.ts', 'demo/index.ts'), undefined, 'entry points may use the demo');
  t.match(layers.violation('src/pki/trust-store.ts', 'src/http/app.ts'), /higher layer http/);
  t.match(layers.violation('src/adapters/ehr/sqlite/store.ts', 'src/services/records/categories.ts'), /higher layer services/);
  t.match(layers.violation('src/http/app.ts', 'src/system/system.ts'), /higher layer system/);
  t.match(layers.violation('src/system/system.ts', 'demo/index.ts'), /may not import demo/);
  t.match(layers.violation('src/services/records/records.ts', 'test/support/fhir-schema.ts'), /may not import test/);
  t.match(layers.violation('src/stray.ts', 'src/ports/ledger.ts'), /in no layer/);
});

t.test("the client library: its protocol entry from services up, never the wallet", async (t) => {
  t.equal(layers.packageViolation('src/services/records/records.ts', '@medrec/client/protocol'), undefined);
  t.equal(layers.packageViolation('src/http/routes/gatekeeper.ts', '@medrec/client/protocol'), undefined);
  t.equal(layers.packageViolation('src/services/records/records.ts', '@medrec/chaincode/domain'), undefined, 'other packages are not the rule\'s business');
  t.equal(layers.packageViolation('test/ehr/records.test.ts', '@medrec/client'), undefined, 'tests may use anything');
  t.match(layers.packageViolation('src/adapters/ehr/row.ts', '@medrec/client/protocol'), /layer adapters may not import @medrec\/client\/protocol/);
  t.match(layers.packageViolation('src/services/accounts/login.ts', '@medrec/client'), /not an entry of @medrec\/client/);
  t.match(layers.packageViolation('src/system/system.ts', '@medrec/client/node'), /not an entry of @medrec\/client/);
  t.equal(layers.packageViolation('src/adapters/peers/gateway-client.ts', '@medrec/client'), undefined, "the custodian adapter speaks for password patients' delegates");
  t.match(layers.packageViolation('src/adapters/peers/gateway-client.ts', '@medrec/client/node'), /not an entry of @medrec\/client/, 'and only through the main entry');
  t.match(layers.packageViolation('src/adapters/ledger/peers.ts', '@medrec/client'), /not an entry of @medrec\/client/, 'no other adapter');
});

t.test('a tree that breaks the rule is reported, file by file', async (t) => {
  const root = t.testdir();
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  write('src/ports/ledger.ts', 'export interface LedgerPort {}\n');
  write('src/http/app.ts', "import type { LedgerPort } from '../ports/ledger.js';\nexport const app = 1;\n");
  write('src/pki/bad.ts', "import { app } from '../http/app.js';\nexport const x = app;\n");
  write('src/services/demo-user.ts', "export { demoUsersFor } from '../../demo/users.js';\n");
  write('src/services/lazy.ts', "export const later = () => import('../system/system.js');\n");
  write('src/system/system.ts', 'export const s = 1;\n');
  write('src/pki/hash.ts', "export { hashResources } from '@medrec/client/protocol';\n");
  write('src/services/wallet.ts', "import { Wallet } from '@medrec/client';\nexport const w = Wallet;\n");
  const found = layers.scan(root);
  t.equal(found.length, 5, found.join('\n'));
  t.match(found.join('\n'), /src\/pki\/hash\.ts: layer pki may not import @medrec\/client\/protocol/);
  t.match(found.join('\n'), /src\/services\/wallet\.ts: @medrec\/client is not an entry/);
  t.match(found.join('\n'), /src\/pki\/bad\.ts: layer pki may not import src\/http\/app\.ts/);
  t.match(found.join('\n'), /src\/services\/demo-user\.ts: product code may not import demo\/users\.ts/);
  t.match(found.join('\n'), /src\/services\/lazy\.ts: layer services may not import src\/system\/system\.ts/);
});
