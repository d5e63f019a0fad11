import type { Static } from '@sinclair/typebox';
import type { EhrStore } from '../../ports/ehr.js';
import { ChaincodeError, type Signer } from '../../ports/ledger.js';
import { sessionKeys } from '../gatekeeper/requester.js';
import type { ExternalIds } from '../registrar/external-ids.js';
import { Problem } from '../problem.js';
import { CHART_IDENTIFIER_QUERY, type ChartIdentifierMapping } from '../records/mapping.js';

export interface ChartProofDeps {
  ehr: EhrStore;
  /** The mapping's declaration of the chart's own identifier; absent: this hospital cannot link charts. */
  chart: Static<typeof ChartIdentifierMapping> | undefined;
  externalIds: Pick<ExternalIds, 'own' | 'resolve'>;
}

const unproven = (detail: string) => new Problem(422, 'CHART_NOT_PATIENT', detail);

/**
 * The proof that a local chart is a participant's before the two are linked: the chart's own
 * identifier (the column the hospital's mapping declares, e.g. a national id) with its external-id
 * kind must resolve to that very participant (here, or by a blinded lookup at her home: ExternalIds).
 * Nothing the provider types can make a chart match someone else: the value comes from the EHR row,
 * the index entry from the ledger.
 */
export class ChartProof {
  constructor(private readonly deps: ChartProofDeps) {}

  /** This hospital's index entry for the chart's own identifier (what it registers the patient under); 422 when it holds none. */
  async identifierHash(mrn: string): Promise<string> {
    const { kind, value } = await this.identifier(mrn);
    return this.deps.externalIds.own(kind, value);
  }

  /** The chart's own identifier of the person, with its external-id kind; 422 when it holds none, 501 when the mapping declares none. */
  async identifier(mrn: string): Promise<{ kind: string; value: string }> {
    const { chart, ehr } = this.deps;
    if (!chart) throw new Problem(501, 'CHART_IDENTIFIER_NOT_MAPPED', "this hospital's mapping declares no chart identifier, so no chart can be linked");
    const rows = await ehr.query(CHART_IDENTIFIER_QUERY, mrn);
    const values = [...new Set(rows.map((row) => row[chart.column]).filter((v) => v !== null && v !== undefined && String(v).trim() !== ''))];
    if (values.length !== 1) throw unproven("the chart holds no single identifier of the person to prove the link with");
    return { kind: chart.externalIdKind, value: String(values[0]).trim() };
  }

  /** The external-id kind the chart identifier is registered under (the mapping's), if any. */
  get externalIdKind(): string | undefined {
    return this.deps.chart?.externalIdKind;
  }

  /** Proves the chart is this participant's; answers the organisation that registered her (her home). */
  async prove(signer: Signer, mrn: string, participantId: string): Promise<string> {
    const { kind, value } = await this.identifier(mrn);
    let resolved;
    try {
      resolved = (await this.deps.externalIds.resolve(sessionKeys(signer), kind, value)).result;
    } catch (err) {
      if (err instanceof ChaincodeError && err.code === 'NOT_FOUND') throw unproven("the chart's identifier is not registered to anyone");
      throw err;
    }
    if (resolved.participantId !== participantId || resolved.role !== 'patient') {
      throw unproven("the chart's identifier is registered to another participant");
    }
    return resolved.mspId;
  }
}
