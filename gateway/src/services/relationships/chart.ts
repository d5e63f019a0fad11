import type { Static } from '@sinclair/typebox';
import type { MedrecClient } from '../../contract/client.js';
import { Registrar } from '../../contract/medrec.js';
import type { EhrStore } from '../../ports/ehr.js';
import { ChaincodeError, type Signer } from '../../ports/ledger.js';
import { externalIdHash } from '../enrolment/external-id.js';
import { Problem } from '../problem.js';
import { CHART_IDENTIFIER_QUERY, type ChartIdentifierMapping } from '../records/mapping.js';

export interface ChartProofDeps {
  client: MedrecClient;
  ehr: EhrStore;
  /** The mapping's declaration of the chart's own identifier; absent: this hospital cannot link charts. */
  chart: Static<typeof ChartIdentifierMapping> | undefined;
  consortiumKey: string;
}

const unproven = (detail: string) => new Problem(422, 'CHART_NOT_PATIENT', detail);

/**
 * The proof that a local chart is a participant's before the two are linked: the chart's own
 * identifier (the column the hospital's mapping declares, e.g. a national id) hashed under the
 * consortium key with its external-id kind must be the participant's registered external-id hash
 * on the ledger (Registrar.resolve of it answers that very participant). Nothing the provider types
 * can make a chart match someone else: the value comes from the EHR row, the hash from the ledger.
 */
export class ChartProof {
  constructor(private readonly deps: ChartProofDeps) {}

  /** The keyed hash of the chart's own identifier (what the patient is registered under); 422 when it holds none. */
  async identifierHash(mrn: string): Promise<string> {
    const { chart, ehr, consortiumKey } = this.deps;
    if (!chart) throw new Problem(501, 'CHART_IDENTIFIER_NOT_MAPPED', "this hospital's mapping declares no chart identifier, so no chart can be linked");
    const rows = await ehr.query(CHART_IDENTIFIER_QUERY, mrn);
    const values = [...new Set(rows.map((row) => row[chart.column]).filter((v) => v !== null && v !== undefined && String(v).trim() !== ''))];
    if (values.length !== 1) throw unproven("the chart holds no single identifier of the person to prove the link with");
    return externalIdHash(consortiumKey, chart.externalIdKind, String(values[0]).trim());
  }

  /** The external-id kind the chart identifier is registered under (the mapping's), if any. */
  get externalIdKind(): string | undefined {
    return this.deps.chart?.externalIdKind;
  }

  async prove(signer: Signer, mrn: string, participantId: string): Promise<void> {
    const { client } = this.deps;
    const hash = await this.identifierHash(mrn);
    let resolved;
    try {
      resolved = await client.evaluate(signer, Registrar.resolve(hash));
    } catch (err) {
      if (err instanceof ChaincodeError && err.code === 'NOT_FOUND') throw unproven("the chart's identifier is not registered to anyone");
      throw err;
    }
    if (resolved.participantId !== participantId || resolved.role !== 'patient') {
      throw unproven("the chart's identifier is registered to another participant");
    }
  }
}
