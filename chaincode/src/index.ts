import { AuditContract } from './contracts/audit';
import { RegistrarContract } from './contracts/registrar';
import { RelationshipContract } from './contracts/relationship';
import { SummaryContract } from './contracts/summary';

export { AuditContract, RegistrarContract, RelationshipContract, SummaryContract };

/** Read by `fabric-chaincode-node start` (classic) and `fabric-chaincode-node server` (as a service). */
export const contracts = [RegistrarContract, RelationshipContract, SummaryContract, AuditContract];
