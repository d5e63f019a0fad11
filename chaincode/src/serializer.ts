import { JSONSerializer } from 'fabric-contract-api';

/**
 * fabric-contract-api 2.5.8 turns object results into JSON with class-transformer's `classToPlain`,
 * which the class-transformer 0.4.1 it resolves to no longer exports; the one object result this
 * chaincode has (the system contract's GetMetadata) would fail. Plain JSON is all it needs.
 * Our own transactions return JSON text already, and the parent handles strings unchanged.
 */
export class PlainJsonSerializer extends JSONSerializer {
  override toBuffer(result: unknown, schema: object = {}, loggerPrefix?: string): Buffer {
    if (result !== null && typeof result === 'object' && !Buffer.isBuffer(result)) {
      return Buffer.from(JSON.stringify(result), 'utf8');
    }
    return super.toBuffer(result, schema, loggerPrefix);
  }
}
