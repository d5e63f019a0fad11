/**
 * No answer changed with the faster gatekeeper: on the seeded data of a hospital, every answer (and
 * every refusal) made with LedgerPort.checkAccess in-process is byte for byte the one made with the
 * decision evaluated through the chaincode, as before; the source hash is the client library's
 * portable SHA-256 of the same records; and the signed request verifies to the claims jose reads.
 */
import t from 'tap';
import { isField } from '@medrec/chaincode/domain';
import { compactVerify } from 'jose';
import { X509Certificate } from 'node:crypto';
import { hashResources as portableHash } from '@medrec/client/protocol';
import type { MedrecClient } from '../../src/contract/client.js';
import { Relationship } from '../../src/contract/medrec.js';
import { endorsedBy } from '../../src/contract/request.js';
import { answerRequest, type AnswerDeps } from '../../src/services/gatekeeper/answer.js';
import { ReplayCache } from '../../src/services/gatekeeper/replay.js';
import { RequestVerifier, signRequest } from '../../src/services/gatekeeper/signed-request.js';
import { openWorld } from '../support/world.js';

const world = await openWorld({ patients: 6 });
t.teardown(() => world.close());
const { h1, h2, client } = world;

/** The decision as it was made before: Relationship.checkAccess evaluated through the chaincode. */
const evaluating = {
  checkAccess: (signer, req) => client.evaluate(signer, req),
} as Pick<MedrecClient, 'checkAccess'> as MedrecClient;

const outcome = (p: Promise<unknown>) =>
  p.then(
    (a) => JSON.stringify(a),
    (e: Error & { status?: number; code?: string }) => `refused ${e.status} ${e.code} ${e.message}`,
  );

t.test('every answer of the seeded data is the one the evaluated decision gives', async (t) => {
  const doctor = await world.enrol(h2, 'dr.answers', 'provider');
  const viewer = await world.enrol(h1, 'viewer.answers', 'viewer');
  const categories = h2.records.categories();
  const verifier = new RequestVerifier(h2.runtime.trust, new ReplayCache(), () => new URL(h2.url).origin);
  const deps: AnswerDeps = { ...h2.runtime, mspId: h2.mspId };
  let compared = 0;
  let served = 0;
  for (const [i, chart] of h2.patients.slice(0, 4).entries()) {
    const patient = await world.delegate(h2, `pat.answers.${i}`);
    const rel = await world.relationship(h2, doctor, patient, chart.mrn, categories);
    if (i % 2 === 0) {
      await client.submit(patient.signer, endorsedBy(Relationship.accept(rel), h2.mspId));
      const items = [{ category: 'Observation' as const, fields: ['code', 'valueQuantity'] }, { category: 'Condition' as const, fields: ['code'] }];
      await client.submit(patient.signer, endorsedBy(Relationship.grant(rel, viewer.participantId, { items, validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(), purpose: 'TREAT' }), h2.mspId));
    }
    for (const who of [patient, viewer, doctor]) {
      for (const cat of categories) {
        for (const fields of [[], [isField(cat, 'code') ? 'code' : 'identifier']]) {
          const jws = await signRequest(who.signer, { rel, cat, fields, aud: new URL(h2.url).origin });
          const verified = await verifier.verify(jws);
          const { payload } = await compactVerify(jws, new X509Certificate(who.signer.certificate).publicKey, { algorithms: ['ES256'] });
          t.same(verified.claims, JSON.parse(Buffer.from(payload).toString('utf8')), 'the claims jose reads');
          const now = await outcome(answerRequest(deps, verified));
          const before = await outcome(answerRequest({ ...deps, client: evaluating }, verified));
          t.equal(now, before, `${who.enrollmentId} ${cat} ${JSON.stringify(fields)}: the same bytes`);
          compared++;
          if (now.startsWith('{')) {
            served++;
            const answer = JSON.parse(now) as { sourceHash: string };
            t.equal(answer.sourceHash, portableHash(await h2.records.fetch(cat, chart.mrn)), 'the source hash: the portable SHA-256 of the same records');
          }
        }
      }
    }
  }
  t.ok(compared >= 100 && served >= 40, `${compared} answers compared, ${served} of them served`);
});
