/**
 * A chaincode transaction as data, apart from running it: which contract and transaction, the
 * encoded arguments, who must endorse, and how to decode the result. Built by ./medrec.ts, run by
 * ./client.ts. Keeping the two apart lets another way of running a request (a proposal prepared
 * here, signed on the patient's device, submitted later) take the same requests.
 */
import { TRANSACTIONS, type TransactionName } from '@medrec/chaincode/domain';

export interface TransactionRequest<T, Kind extends 'submit' | 'evaluate' = 'submit' | 'evaluate'> {
  readonly name: TransactionName;
  readonly contract: string;
  readonly transaction: string;
  readonly kind: Kind;
  /** The arguments as the chaincode receives them (strings; JSON arguments as JSON text). */
  readonly args: readonly string[];
  /** Organisations whose peers must endorse (state-based endorsement); absent: the chaincode policy decides. */
  readonly endorsingOrganizations?: readonly string[];
  readonly decode: (bytes: Uint8Array) => T;
}

export type SubmitRequest<T> = TransactionRequest<T, 'submit'>;
export type EvaluateRequest<T> = TransactionRequest<T, 'evaluate'>;

/** The one decoder: every chaincode result is JSON text (an empty payload decodes to undefined). */
export function decodeJson<T>(bytes: Uint8Array): T {
  const text = Buffer.from(bytes).toString('utf8');
  return (text.length === 0 ? undefined : JSON.parse(text)) as T;
}

type KindOf<N extends TransactionName> = (typeof TRANSACTIONS)[N]['submit'] extends true ? 'submit' : 'evaluate';

/** Builds a request for `name`, checking the arguments against the chaincode's own transaction table. */
export function request<T, N extends TransactionName>(name: N, args: readonly string[]): TransactionRequest<T, KindOf<N>> {
  const spec = TRANSACTIONS[name];
  if (args.length !== spec.params.length) {
    throw new TypeError(`${name} takes ${spec.params.length} arguments (${spec.params.join(', ')}), got ${args.length}`);
  }
  const [contract, transaction] = name.split('.') as [string, string];
  return { name, contract, transaction, kind: (spec.submit ? 'submit' : 'evaluate') as KindOf<N>, args, decode: decodeJson<T> };
}

/** The same request, endorsed by these organisations' peers. */
export function endorsedBy<R extends SubmitRequest<unknown>>(req: R, ...orgs: string[]): R {
  return { ...req, endorsingOrganizations: orgs };
}
