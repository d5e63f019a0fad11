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

/* winston 3 runs a logger's whole format chain (timestamp, metadata, colorize, printf) before its
   transport drops a line below the level, and fabric-shim logs several debug lines per transaction:
   a fifth of an evaluate went into formatting lines nobody receives. Drop them before formatting,
   with winston's own test (the logger's level and its transports'), for both winston copies. */
interface WinstonLogger {
  levels: Record<string, number>;
  isLevelEnabled(level: string): boolean;
}
const LEVEL = Symbol.for('level');
for (const winston of [
  requireShim('winston'),
  createRequire(requireShim.resolve('fabric-contract-api'))('winston'),
] as { Logger: { prototype: object } }[]) {
  const proto = winston.Logger.prototype as { write(this: WinstonLogger, info: Record<symbol, unknown>, ...rest: unknown[]): boolean };
  if (Object.hasOwn(proto, 'write')) continue;
  const write = proto.write;
  proto.write = function (info, ...rest) {
    const level = info?.[LEVEL];
    if (typeof level === 'string' && level in this.levels && !this.isLevelEnabled(level)) return true;
    return write.call(this, info, ...rest);
  };
}

/* fabric-shim builds a ClientIdentity for every transaction by parsing the creator's PEM with
   @fidm/x509: the same few certificates, parsed again and again (a sixth of an evaluate). The parse
   is a pure function of the PEM text and ClientIdentity only reads the result, so identical text gets
   the same parsed certificate. The MSP checks of the creator (CA, CRL, validity) are not affected:
   Membership.check runs on every proposal before the chaincode sees it. */
const { Certificate } = requireShim('@fidm/x509') as { Certificate: { fromPEM(pem: Buffer | string): unknown } };
const fromPEM = Certificate.fromPEM.bind(Certificate);
const parsedCertificates = new Map<string, unknown>();
Certificate.fromPEM = (pem) => {
  const text = pem.toString();
  let parsed = parsedCertificates.get(text);
  if (parsed === undefined) {
    parsed = fromPEM(pem);
    if (parsedCertificates.size >= 4096) parsedCertificates.clear();
    parsedCertificates.set(text, parsed);
  }
  return parsed;
};

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

export interface FabricProtos {
  common: any;
  peer: any;
  msp: any;
  ledger: any;
}
