import { AuditContract } from './contracts/audit';
import { RegistrarContract } from './contracts/registrar';
import { RelationshipContract } from './contracts/relationship';
import { SummaryContract } from './contracts/summary';
import { PlainJsonSerializer } from './serializer';

export { AuditContract, RegistrarContract, RelationshipContract, SummaryContract };

/** Read by `fabric-chaincode-node start` (classic) and `fabric-chaincode-node server` (as a service). */
export const contracts = [RegistrarContract, RelationshipContract, SummaryContract, AuditContract];

export const serializers = {
  transaction: 'plainJson',
  serializers: { plainJson: PlainJsonSerializer },
};
