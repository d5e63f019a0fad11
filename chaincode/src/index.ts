import { AuditContract } from './contracts/audit';
import { RegistrarContract } from './contracts/registrar';
import { RelationshipContract } from './contracts/relationship';
import { ResearchContract } from './contracts/research';
import { SummaryContract } from './contracts/summary';

export { AuditContract, RegistrarContract, RelationshipContract, ResearchContract, SummaryContract };

/** Read by `fabric-chaincode-node start` (classic) and `fabric-chaincode-node server` (as a service). */
export const contracts = [RegistrarContract, RelationshipContract, SummaryContract, AuditContract, ResearchContract];
