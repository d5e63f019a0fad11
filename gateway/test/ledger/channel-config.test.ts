/**
 * The Fabric adapter's reading of a channel configuration block, on a block made by Fabric's own
 * configtxgen: each hospital MSP's CA certificates and its revocation_list (CRLs), which become the
 * gatekeeper's trust. configtxgen comes from scripts/install-fabric.sh (.fabric/bin, or FABRIC_BIN);
 * without it the test is skipped with a visible message.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { isConfigBlock, lastConfigIndex, membersOfConfigBlock } from '../../src/adapters/ledger/fabric/channel-config.js';
import { TrustStore } from '../../src/pki/trust-store.js';
import { signRequest } from '../../src/services/gatekeeper/signed-request.js';
import { RequestVerifier } from '../../src/services/gatekeeper/signed-request.js';
import { ReplayCache } from '../../src/services/gatekeeper/replay.js';
import { testCa, type TestCa } from '../support/test-ca.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const CONFIGTXGEN = join(process.env.FABRIC_BIN ?? join(ROOT, '.fabric', 'bin'), 'configtxgen');

if (!existsSync(CONFIGTXGEN)) {
  t.test('channel configuration from a configtxgen block', { skip: `no configtxgen at ${CONFIGTXGEN}: run scripts/install-fabric.sh` }, () => {});
} else {
  const dir = t.testdir();
  const h1 = await testCa('Hospital1MSP');
  const h2 = await testCa('Hospital2MSP');
  const orderer = await testCa('OrdererMSP');
  const h1Tls = await testCa('Hospital1MSP', 'tls.hospital1');
  const revoked = await h1.issue('viewer.gone', 'viewer');
  const kept = await h1.issue('viewer.kept', 'viewer');
  const crl = await h1.crl([revoked]);

  const msp = (name: string, ca: TestCa, crls: string[] = [], tlsCa?: TestCa) => {
    mkdirSync(join(dir, name, 'cacerts'), { recursive: true });
    writeFileSync(join(dir, name, 'cacerts', 'ca.pem'), ca.certificate);
    if (tlsCa) {
      mkdirSync(join(dir, name, 'tlscacerts'), { recursive: true });
      writeFileSync(join(dir, name, 'tlscacerts', 'ca.pem'), tlsCa.certificate);
    }
    if (crls.length > 0) {
      mkdirSync(join(dir, name, 'crls'), { recursive: true });
      crls.forEach((c, i) => writeFileSync(join(dir, name, 'crls', `crl${i}.pem`), c));
    }
  };
  msp('h1', h1, [crl], h1Tls);
  msp('h2', h2);
  msp('orderer', orderer);
  const tls = await orderer.issue('orderer0', 'orderer');
  writeFileSync(join(dir, 'tls.pem'), tls.certificate);
  const org = (name: string, key: string) => `
  - &${name}
    Name: ${name}
    ID: ${name}
    MSPDir: ${key}
    Policies:
      Readers: {Type: Signature, Rule: "OR('${name}.member')"}
      Writers: {Type: Signature, Rule: "OR('${name}.member')"}
      Admins: {Type: Signature, Rule: "OR('${name}.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('${name}.member')"}`;
  writeFileSync(
    join(dir, 'configtx.yaml'),
    `Organizations:${org('OrdererMSP', 'orderer')}
    OrdererEndpoints: [127.0.0.1:7050]${org('Hospital1MSP', 'h1')}${org('Hospital2MSP', 'h2')}
Capabilities:
  Channel: &ChannelCapabilities {V2_0: true}
  Orderer: &OrdererCapabilities {V2_0: true}
  Application: &ApplicationCapabilities {V2_5: true}
Profiles:
  Test:
    Policies:
      Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
      Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    Capabilities: *ChannelCapabilities
    Orderer:
      OrdererType: etcdraft
      BatchTimeout: 250ms
      BatchSize: {MaxMessageCount: 10, AbsoluteMaxBytes: 10 MB, PreferredMaxBytes: 2 MB}
      EtcdRaft:
        Consenters:
          - {Host: 127.0.0.1, Port: 7050, ClientTLSCert: tls.pem, ServerTLSCert: tls.pem}
      Organizations: [*OrdererMSP]
      Policies:
        Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
        Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
        Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
        BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Capabilities: *OrdererCapabilities
    Application:
      Organizations: [*Hospital1MSP, *Hospital2MSP]
      Policies:
        Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
        Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
        Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
        LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
        Endorsement: {Type: ImplicitMeta, Rule: "ANY Endorsement"}
      Capabilities: *ApplicationCapabilities
`,
  );
  await promisify(execFile)(CONFIGTXGEN, ['-configPath', dir, '-profile', 'Test', '-channelID', 'medrec', '-outputBlock', join(dir, 'genesis.block')], {
    timeout: 60_000,
  });
  const block = new Uint8Array(readFileSync(join(dir, 'genesis.block')));

  t.test('a configtxgen genesis block: the application MSPs with their CAs and CRLs', async (t) => {
    t.ok(isConfigBlock(block), 'a configuration block');
    t.equal(lastConfigIndex(block), 0n, 'the genesis block names itself as the last configuration');
    const members = membersOfConfigBlock(block);
    t.same(members.map((m) => m.mspId), ['Hospital1MSP', 'Hospital2MSP'], 'the hospitals, not the orderer org');
    t.equal(members[0]!.caCertificates[0]!.trim(), h1.certificate.trim());
    t.equal(members[1]!.caCertificates[0]!.trim(), h2.certificate.trim());
    t.equal(members[0]!.revocationLists!.length, 1, "Hospital 1's revocation_list");
    t.equal(members[0]!.revocationLists![0]!.trim(), crl.trim());
    t.same(members[1]!.revocationLists, []);
    t.same(members[0]!.tlsRootCertificates!.map((c) => c.trim()), [h1Tls.certificate.trim()], "Hospital 1's tls_root_certs: what its gateway's HTTPS certificate chains to");
    t.same(members[1]!.tlsRootCertificates, []);
  });

  t.test('the gatekeeper trusts what the block says: the revoked certificate is refused, the others are not', async (t) => {
    const trust = await TrustStore.fromMembers(membersOfConfigBlock(block));
    const verifier = new RequestVerifier(trust, new ReplayCache(), () => 'http://127.0.0.1:3002');
    const spec = { rel: 'c'.repeat(64), cat: 'Observation' as const, fields: [], aud: 'http://127.0.0.1:3002' };
    await t.rejects(verifier.verify(await signRequest(revoked, spec)), { code: 'CERTIFICATE_REVOKED', status: 401 });
    t.equal((await verifier.verify(await signRequest(kept, spec))).mspId, 'Hospital1MSP');
    t.equal(trust.check('Hospital1MSP', revoked.certificate, new Date()).ok, false, "and so does the ledger's creator check");
  });
}
