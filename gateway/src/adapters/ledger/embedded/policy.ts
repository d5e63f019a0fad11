/** Evaluates a state-based endorsement policy (SignaturePolicyEnvelope) against endorsing orgs. */
import { protos } from './fabric.js';

const { common, msp } = protos;

export function policySatisfied(policy: Uint8Array, endorsingOrgs: ReadonlySet<string>): boolean {
  const envelope = common.SignaturePolicyEnvelope.deserializeBinary(policy);
  const principals: (string | undefined)[] = envelope.getIdentitiesList().map((identity: any) =>
    identity.getPrincipalClassification() === msp.MSPPrincipal.Classification.ROLE
      ? msp.MSPRole.deserializeBinary(identity.getPrincipal_asU8()).getMspIdentifier()
      : undefined,
  );
  const satisfied = (rule: any): boolean => {
    if (rule.hasSignedBy()) {
      const org = principals[rule.getSignedBy()];
      return org !== undefined && endorsingOrgs.has(org);
    }
    const nOutOf = rule.getNOutOf();
    return nOutOf.getRulesList().filter(satisfied).length >= nOutOf.getN();
  };
  return satisfied(envelope.getRule());
}
