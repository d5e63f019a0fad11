import { Context, Contract, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { conflict, forbidden, invalid, notFound } from '../domain/errors';
import { keys, prefixes } from '../domain/keys';
import type { AuditAnchor } from '../domain/types';
import { requireHex64, requireSeq, requireString } from '../domain/validation';
import { rolesFor } from '../domain/transactions';
import { registeredCaller } from './caller';
import { State } from './state';

const MSP_ID = /^[A-Za-z0-9._-]+$/;

@Info({ title: 'Audit', description: "Anchors of each hospital gatekeeper's hash-chained audit log" })
export class AuditContract extends Contract {
  constructor() {
    super('Audit');
  }

  @Transaction()
  @Returns('string')
  @Param('fromSeq', 'string', 'first audit sequence number covered')
  @Param('toSeq', 'string', 'last audit sequence number covered')
  @Param('headHash', 'string', 'SHA-256 (hex) of the audit chain head at toSeq')
  async anchor(ctx: Context, fromSeq: string, toSeq: string, headHash: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Audit.anchor'));
    const from = requireSeq(fromSeq, 'fromSeq');
    const to = requireSeq(toSeq, 'toSeq');
    const hash = requireHex64(headHash, 'headHash');
    if (from > to) throw invalid('fromSeq must not be after toSeq');
    const headKey = keys.anchorHead(caller.mspId);
    const head = await state.get<AuditAnchor>(headKey);
    // Anchors must tile the log without gaps or overlaps, or a rewritten stretch could hide.
    if (head && from !== head.toSeq + 1) throw conflict(`the next anchor must start at ${head.toSeq + 1}`);
    const anchor: AuditAnchor = {
      mspId: caller.mspId,
      fromSeq: from,
      toSeq: to,
      headHash: hash,
      anchoredBy: caller.participantId,
      anchoredAt: state.now,
      txId: state.txId,
    };
    const anchorKey = keys.anchor(caller.mspId, to);
    await state.put(anchorKey, anchor);
    await state.put(headKey, anchor);
    await state.endorseBy(anchorKey, caller.mspId);
    if (!head) await state.endorseBy(headKey, caller.mspId);
    state.emit('AuditAnchored', [{ participantId: caller.participantId }]);
    return JSON.stringify(anchor);
  }

  @Transaction(false)
  @Returns('string')
  @Param('mspId', 'string', 'the hospital whose anchors are wanted')
  async list(ctx: Context, mspId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Audit.list'));
    const msp = requireString(mspId, 'mspId', 64);
    if (!MSP_ID.test(msp)) throw invalid('mspId may hold only letters, digits and . _ -');
    if (caller.role === 'provider' && caller.mspId !== msp) throw forbidden("a provider reads only its own organisation's anchors");
    return JSON.stringify(await state.scan<AuditAnchor>(prefixes.anchorsOf(msp)));
  }

  override async unknownTransaction(): Promise<void> {
    throw notFound('Audit has no such transaction');
  }
}
