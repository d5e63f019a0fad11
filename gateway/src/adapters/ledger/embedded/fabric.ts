/**
 * Fabric's own chaincode-side code, loaded from fabric-shim: the contract SPI (the dispatch a peer's
 * chaincode process runs), its ChaincodeStub, and the protobuf classes of the same version the stub
 * decodes with. Typed here only as far as the embedded peer uses them.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);
const shimPath = requireHere.resolve('fabric-shim');
const requireShim = createRequire(shimPath);

/* fabric-shim's logger installs process-wide handlers that log and swallow uncaught exceptions and
   unhandled rejections (right for a chaincode process, wrong inside the gateway): undo them. */
const before = {
  exception: new Set(process.listeners('uncaughtException')),
  rejection: new Set(process.listeners('unhandledRejection')),
};
const ChaincodeFromContract = requireShim('./lib/contract-spi/chaincodefromcontract.js') as ChaincodeFromContractClass;
const ChaincodeStub = requireShim('./lib/stub.js') as ChaincodeStubClass;
const shimLogger = requireShim('./lib/logger.js') as { getLogger(name: string): { silent: boolean } };
for (const listener of process.listeners('uncaughtException')) {
  if (!before.exception.has(listener)) process.off('uncaughtException', listener);
}
for (const listener of process.listeners('unhandledRejection')) {
  if (!before.rejection.has(listener)) process.off('unhandledRejection', listener);
}
// Chaincode refusals are normal outcomes reported to the caller, not errors of this process.
shimLogger.getLogger('contracts-spi/chaincodefromcontract.js').silent = true;

export const protos = requireShim('@hyperledger/fabric-protos') as FabricProtos;
export const { Timestamp } = createRequire(requireShim.resolve('@hyperledger/fabric-protos'))(
  'google-protobuf/google/protobuf/timestamp_pb.js',
) as { Timestamp: new () => { setSeconds(s: number): void; setNanos(n: number): void } };
const { JSONSerializer } = requireShim('fabric-contract-api') as { JSONSerializer: unknown };
export const KeyEndorsementPolicy = requireShim('./lib/utils/statebased.js') as new (policy?: Uint8Array) => {
  addOrgs(role: 'MEMBER' | 'PEER', ...orgs: string[]): void;
  getPolicy(): Uint8Array;
  listOrgs(): string[];
};

export { ChaincodeStub };

export interface ChaincodeResponse {
  status: number;
  message?: string;
  payload?: Uint8Array;
}

export interface Chaincode {
  Invoke(stub: StubInstance): Promise<ChaincodeResponse>;
}

export interface StubInstance {
  chaincodeEvent?: { getEventName(): string; getPayload_asU8(): Uint8Array };
}

type ChaincodeFromContractClass = new (
  contracts: unknown[],
  serializers: unknown,
  metadata: object,
  title: string,
  version: string,
) => Chaincode;

type ChaincodeStubClass = new (
  handler: object,
  channelId: string,
  txId: string,
  input: unknown,
  signedProposal: unknown,
) => StubInstance;

/** A chaincode module's `serializers` export, as fabric-chaincode-node reads it. */
export interface Serializers {
  transaction: string;
  serializers: Record<string, unknown>;
}

/**
 * The chaincode as a peer's chaincode process would run it: fabric-contract-api's dispatch, with the
 * module's serializers completed by the default JSON one exactly as fabric-shim's bootstrap does.
 */
export function chaincodeFromContracts(contracts: readonly unknown[], serializers?: Serializers, title = 'medrec'): Chaincode {
  const chosen = serializers
    ? { transaction: serializers.transaction, serializers: { ...serializers.serializers, jsonSerializer: JSONSerializer } }
    : { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };
  // The SPI appends its system contract to the array it is given: hand it a copy.
  return new ChaincodeFromContract([...contracts], chosen, {}, title, '');
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface FabricProtos {
  common: any;
  peer: any;
  msp: any;
  ledger: any;
}
