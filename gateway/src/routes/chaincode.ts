import type { LedgerPort, Signer, SubmitOptions } from '../ports/ledger.js';

/** Thin JSON helpers over the ledger port: every chaincode result is JSON text. */

const decode = <T>(bytes: Uint8Array): T => {
  const text = Buffer.from(bytes).toString('utf8');
  return (text.length === 0 ? undefined : JSON.parse(text)) as T;
};

export async function submitJson<T>(
  ledger: LedgerPort,
  signer: Signer,
  contract: string,
  transaction: string,
  args: string[],
  options?: SubmitOptions,
): Promise<{ value: T; txId: string; blockNumber: string }> {
  const result = await ledger.submit(signer, contract, transaction, args, options);
  return { value: decode<T>(result.result), txId: result.txId, blockNumber: result.blockNumber.toString() };
}

export async function evaluateJson<T>(
  ledger: LedgerPort,
  signer: Signer,
  contract: string,
  transaction: string,
  args: string[],
): Promise<T> {
  return decode<T>(await ledger.evaluate(signer, contract, transaction, args));
}
