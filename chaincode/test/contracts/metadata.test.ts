import t from 'tap';
import { TRANSACTIONS } from '../../src/domain';
import { cast } from '../support/world';

interface Metadata {
  info: { title: string; version: string };
  contracts: Record<string, { name: string; transactions: { name: string; tag: string[]; parameters?: { name: string; schema: { type: string } }[] }[] }>;
}

/** What the peer serves as org.hyperledger.fabric:GetMetadata, as DESIGN.md names it. */
const DESIGN: Record<string, Record<string, { args: string[]; submit: boolean }>> = {
  Registrar: {
    register: { args: ['externalIdHash', 'enrollmentId', 'role'], submit: true },
    registerBatch: { args: ['itemsJson'], submit: true },
    registerPanel: { args: ['itemsJson'], submit: true },
    registerDelegate: { args: ['enrollmentId'], submit: true },
    remap: { args: ['externalIdHash', 'newEnrollmentId'], submit: true },
    remapDelegate: { args: ['participantId', 'newEnrollmentId'], submit: true },
    rekey: { args: ['itemsJson'], submit: true },
    resolve: { args: ['externalIdHash'], submit: false },
    whoami: { args: [], submit: false },
    history: { args: ['externalIdHash'], submit: false },
    historyOf: { args: ['participantId'], submit: false },
  },
  Relationship: {
    create: { args: ['patientId', 'endpoint'], submit: true },
    createBatch: { args: ['itemsJson'], submit: true },
    ofPatients: { args: ['patientIdsJson'], submit: false },
    putPointer: { args: ['relationshipId', 'category', 'sha256'], submit: true },
    putPointers: { args: ['itemsJson'], submit: true },
    accept: { args: ['relationshipId'], submit: true },
    reject: { args: ['relationshipId'], submit: true },
    remove: { args: ['relationshipId'], submit: true },
    grant: { args: ['relationshipId', 'viewerId', 'grantJson'], submit: true },
    revoke: { args: ['relationshipId', 'viewerId'], submit: true },
    get: { args: ['relationshipId'], submit: false },
    checkAccess: { args: ['relationshipId', 'requesterIdentityId', 'category', 'fieldsJson'], submit: false },
    history: { args: ['relationshipId'], submit: false },
    putPointerWithBounty: { args: ['relationshipId', 'category', 'sha256', 'bountyJson'], submit: true },
  },
  Summary: {
    mine: { args: [], submit: false },
    of: { args: ['participantId'], submit: false },
    acknowledge: { args: ['relationshipId'], submit: true },
    markUpdateAvailable: { args: ['relationshipId'], submit: true },
  },
  Audit: {
    anchor: { args: ['fromSeq', 'toSeq', 'headHash'], submit: true },
    list: { args: ['mspId'], submit: false },
  },
  Research: {
    consent: { args: ['relationshipId', 'consentJson'], submit: true },
    withdraw: { args: ['relationshipId'], submit: true },
    consentBatch: { args: ['itemsJson'], submit: true },
    consents: { args: [], submit: false },
    consentOf: { args: ['relationshipId', 'requesterIdentityId'], submit: false },
    submitStudy: { args: ['studyJson'], submit: true },
    query: { args: ['queryId'], submit: false },
    studies: { args: [], submit: false },
    registerSteward: { args: ['participantId'], submit: true },
    stewards: { args: [], submit: false },
    bounties: { args: [], submit: false },
    publishGatekeeper: { args: ['endpoint', 'templatesJson'], submit: true },
    gatekeepers: { args: [], submit: false },
    prepareRelease: { args: ['queryId', 'requesterIdentityId', 'bookmark'], submit: false },
    recordRelease: { args: ['queryId', 'requesterIdentityId', 'releaseJson'], submit: true },
    releases: { args: ['queryId'], submit: false },
    budget: { args: ['participantId'], submit: false },
  },
};

t.test('GetMetadata lists the five contracts and their transactions', async (t) => {
  const c = await cast();
  const res = await c.w.call(c.stranger, 'org.hyperledger.fabric:GetMetadata', [], false);
  t.equal(res.status, 200, 'anyone may read the metadata');
  const meta = JSON.parse(res.payload) as Metadata;
  t.same(meta.info, { title: 'medrec', version: '0.1.0' });
  t.same(Object.keys(meta.contracts).filter((n) => n !== 'org.hyperledger.fabric').sort(), Object.keys(DESIGN).sort());
  for (const [contract, txs] of Object.entries(DESIGN)) {
    const served = meta.contracts[contract];
    t.same(served.transactions.map((x) => x.name).sort(), Object.keys(txs).sort(), `${contract}: exactly the designed transactions`);
    for (const [name, spec] of Object.entries(txs)) {
      const tx = served.transactions.find((x) => x.name === name)!;
      t.same((tx.parameters ?? []).map((p) => p.name), spec.args, `${contract}.${name} argument order`);
      t.ok((tx.parameters ?? []).every((p) => p.schema.type === 'string'), `${contract}.${name}: all arguments are strings`);
      t.equal(tx.tag.includes('SUBMIT'), spec.submit, `${contract}.${name} is ${spec.submit ? 'submitted' : 'evaluated'}`);
    }
  }
});

t.test("the domain's transaction table is the design: the contracts and the gateway read it", async (t) => {
  const fromTable: typeof DESIGN = {};
  for (const [name, spec] of Object.entries(TRANSACTIONS)) {
    const [contract, fn] = name.split('.') as [string, string];
    (fromTable[contract] ??= {})[fn] = { args: [...spec.params], submit: spec.submit };
  }
  t.same(fromTable, DESIGN);
});
