import { Context, Contract, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { conflict, forbidden, invalid, notFound } from '../domain/errors';
import { identityId, participantIdFor } from '../domain/ids';
import { rekeyed, rekeyOutcome, remapped, requireOwnParticipant } from '../domain/mapping';
import { keys } from '../domain/keys';
import type { IdentityRecord, ParticipantRecord, ResolveResult } from '../domain/types';
import { parseRegisterBatch, parseRekeyBatch, requireEnrollmentId, requireHex64, requireRegisterItem, type RegisterItem } from '../domain/validation';
import { rolesFor } from '../domain/transactions';
import { certCaller, registeredCaller } from './caller';
import { State } from './state';

@Info({ title: 'Registrar', description: 'Maps keyed hashes of external ids to ledger identities and participants' })
export class RegistrarContract extends Contract {
  constructor() {
    super('Registrar');
  }

  @Transaction()
  @Returns('string')
  @Param('externalIdHash', 'string', "the home hospital's index entry of kind:externalId (keyed, docs/privacy.md §2), 64 lowercase hex")
  @Param('enrollmentId', 'string', "the person's enrollment id at the registrar's CA")
  @Param('role', 'string', 'patient | provider | registrar | viewer | researcher | auditor | admin')
  async register(ctx: Context, externalIdHash: string, enrollmentId: string, role: string): Promise<string> {
    const state = new State(ctx);
    const caller = registrarOnly(ctx, 'Registrar.register');
    const item = requireRegisterItem({ externalIdHash, enrollmentId, role });
    const [record] = await registerAll(state, caller.mspId, [item]);
    state.emit('IdentityRegistered', [{ participantId: record.participantId, status: 'active' }]);
    return JSON.stringify(record);
  }

  @Transaction()
  @Returns('string')
  @Param('itemsJson', 'string', 'JSON [{externalIdHash, enrollmentId, role}], at most 500; returns the new participant ids in item order')
  async registerBatch(ctx: Context, itemsJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = registrarOnly(ctx, 'Registrar.registerBatch');
    const records = await registerAll(state, caller.mspId, parseRegisterBatch(itemsJson));
    state.emit(
      'BatchRegistered',
      records.map((r) => ({ participantId: r.participantId, status: 'active' })),
    );
    // The new pids only, in item order: the result is stored in the block.
    return JSON.stringify(records.map((r) => r.participantId));
  }

  @Transaction()
  @Returns('string')
  @Param('itemsJson', 'string', 'JSON [{externalIdHash, enrollmentId, role}], at most 500; returns [{participantId, outcome, role}] in item order')
  async registerPanel(ctx: Context, itemsJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = registrarOnly(ctx, 'Registrar.registerPanel');
    const items = parseRegisterBatch(itemsJson);
    // Idempotent per patient, so a panel job resumed after a crash (or re-run) never duplicates anyone:
    // an item already registered is answered (`present` exactly so, `other` as another identity — e.g.
    // a patient of another hospital — with its role), never written again.
    const found = await Promise.all(items.map((item) => registeredAs(state, caller.mspId, item)));
    const records = await registerAll(state, caller.mspId, items.filter((_, i) => found[i] === undefined));
    if (records.length > 0) state.emit('BatchRegistered', records.map((r) => ({ participantId: r.participantId, status: 'active' })));
    let next = 0;
    const results: PanelResult[] = found.map((f, i) => f ?? { participantId: records[next++]!.participantId, outcome: 'created', role: items[i]!.role });
    return JSON.stringify(results);
  }

  /**
   * A delegate (docs/privacy.md §3): a patient's identity for one relationship, registered by the
   * hospital that will hold that relationship, with no external id, so that no ledger key, value or
   * argument ties it to her other identities. Only that hospital may open a relationship with it.
   */
  @Transaction()
  @Returns('string')
  @Param('enrollmentId', 'string', "the delegate's opaque enrollment id at the registrar's CA")
  async registerDelegate(ctx: Context, enrollmentId: string): Promise<string> {
    const state = new State(ctx);
    const caller = registrarOnly(ctx, 'Registrar.registerDelegate');
    const iid = identityId(caller.mspId, requireEnrollmentId(enrollmentId));
    if (await state.get(keys.identity(iid))) throw conflict('that enrollment id is already registered');
    const pid = participantIdFor(state.txId, 0);
    const record: IdentityRecord = { identityId: iid, participantId: pid, mspId: caller.mspId, role: 'patient', status: 'active', registeredAt: state.now, updatedAt: state.now, supersededBy: null };
    const participant: ParticipantRecord = { participantId: pid, externalIdHash: null, delegate: true, identityId: iid, mspId: caller.mspId, role: 'patient', registeredAt: state.now, updatedAt: state.now };
    await state.put(keys.identity(iid), record);
    await state.put(keys.participant(pid), participant);
    state.emit('IdentityRegistered', [{ participantId: pid, status: 'active' }]);
    return JSON.stringify(record);
  }

  @Transaction()
  @Returns('string')
  @Param('externalIdHash', 'string', 'the participant to re-map')
  @Param('newEnrollmentId', 'string', 'the enrollment id of the new certificate identity')
  async remap(ctx: Context, externalIdHash: string, newEnrollmentId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Registrar.remap'));
    return remapTo(state, caller.mspId, await participantByExternal(state, externalIdHash), newEnrollmentId);
  }

  /**
   * A delegate's re-map, by participant id (docs/privacy.md §3): no external id names a delegate, and
   * its certificate may need re-issuing after a suspected key compromise. Delegates only: every other
   * participant is re-mapped by its external id, and its role stays what its registration made it.
   */
  @Transaction()
  @Returns('string')
  @Param('participantId', 'string', 'the delegate to re-map')
  @Param('newEnrollmentId', 'string', 'the enrollment id of the new certificate identity')
  async remapDelegate(ctx: Context, participantId: string, newEnrollmentId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Registrar.remapDelegate'));
    const participant = await state.get<ParticipantRecord>(keys.participant(requireHex64(participantId, 'participantId')));
    if (!participant?.delegate) throw notFound('no delegate has that participant id (a participant with an external id is re-mapped by it)');
    return remapTo(state, caller.mspId, participant, newEnrollmentId);
  }

  /**
   * A home's rotation of its index key (docs/privacy.md §2): each of its entries moves from the old
   * key's entry to the new key's, the old entry deleted (its key's history keeps it) and the
   * participant record naming the new one, so `history` shows the chain. An item already re-keyed
   * comes back `present`, unwritten: a resumed or repeated batch is harmless.
   */
  @Transaction()
  @Returns('string')
  @Param('itemsJson', 'string', 'JSON [{oldHash, newHash}], at most 500; returns rekeyed | present per item, in order')
  async rekey(ctx: Context, itemsJson: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Registrar.rekey'));
    const items = parseRekeyBatch(itemsJson);
    const planned = [];
    for (const item of items) {
      const reads = { byOld: await participantAt(state, item.oldHash), byNew: await participantAt(state, item.newHash) };
      planned.push({ item, participant: reads.byOld, outcome: rekeyOutcome(reads, item.newHash, caller.mspId) });
    }
    for (const { item, participant, outcome } of planned) {
      if (outcome !== 'rekey' || !participant) continue;
      await state.delete(keys.external(item.oldHash));
      await state.put(keys.external(item.newHash), { participantId: participant.participantId });
      await state.put(keys.participant(participant.participantId), rekeyed(participant, item.newHash, state.now));
    }
    // Who was re-keyed is the home's own business: the event names no one.
    state.emit('IndexRekeyed', []);
    return JSON.stringify(planned.map((p) => (p.outcome === 'rekey' ? 'rekeyed' : 'present')));
  }

  @Transaction(false)
  @Returns('string')
  @Param('externalIdHash', 'string', 'the participant to look up')
  async resolve(ctx: Context, externalIdHash: string): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Registrar.resolve'));
    const participant = await participantByExternal(state, externalIdHash);
    const current = await state.get<IdentityRecord>(keys.identity(participant.identityId));
    const result: ResolveResult = {
      participantId: participant.participantId,
      role: participant.role,
      mspId: participant.mspId,
      status: current?.status ?? 'superseded',
    };
    return JSON.stringify(result);
  }

  @Transaction(false)
  @Returns('string')
  async whoami(ctx: Context): Promise<string> {
    const caller = await registeredCaller(ctx, new State(ctx), rolesFor('Registrar.whoami'));
    return JSON.stringify(caller.record);
  }

  @Transaction(false)
  @Returns('string')
  @Param('externalIdHash', 'string', 'the participant whose identity mapping history is wanted')
  async history(ctx: Context, externalIdHash: string): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Registrar.history'));
    const participant = await participantByExternal(state, externalIdHash);
    return JSON.stringify(await state.history(keys.participant(participant.participantId)));
  }

  /** The mapping history of any participant by its id: a delegate has no external id to look it up by. */
  @Transaction(false)
  @Returns('string')
  @Param('participantId', 'string', 'the participant (or delegate) whose identity mapping history is wanted')
  async historyOf(ctx: Context, participantId: string): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Registrar.historyOf'));
    const key = keys.participant(requireHex64(participantId, 'participantId'));
    if (!(await state.get(key))) throw notFound('no such participant');
    return JSON.stringify(await state.history(key));
  }

  override async unknownTransaction(): Promise<void> {
    throw notFound('Registrar has no such transaction');
  }
}

/** Registration is the one step before the caller itself is on the ledger: the certificate's role decides. */
function registrarOnly(ctx: Context, transaction: 'Registrar.register' | 'Registrar.registerBatch' | 'Registrar.registerPanel' | 'Registrar.registerDelegate'): { mspId: string } {
  const caller = certCaller(ctx);
  if (!rolesFor(transaction)?.includes(caller.role)) throw forbidden('only a registrar may register identities');
  return caller;
}

async function participantByExternal(state: State, externalIdHash: unknown): Promise<ParticipantRecord> {
  const participant = await participantAt(state, requireHex64(externalIdHash, 'externalIdHash'));
  if (!participant) throw notFound('no participant is registered for that external id');
  return participant;
}

/** The participant an index entry names, if any. */
async function participantAt(state: State, hash: string): Promise<ParticipantRecord | null> {
  const ref = await state.get<{ participantId: string }>(keys.external(hash));
  return ref && state.get<ParticipantRecord>(keys.participant(ref.participantId));
}

/** A new certificate identity for a participant of the caller's organisation; the old one is superseded. */
async function remapTo(state: State, mspId: string, participant: ParticipantRecord, newEnrollmentId: string): Promise<string> {
  requireOwnParticipant(participant, mspId, 're-map');
  const newIid = identityId(mspId, requireEnrollmentId(newEnrollmentId));
  if (await state.get(keys.identity(newIid))) throw conflict('that enrollment id is already registered');
  const old = await state.get<IdentityRecord>(keys.identity(participant.identityId));
  const writes = remapped(participant, old, newIid, state.now);
  if (writes.superseded) await state.put(keys.identity(writes.superseded.identityId), writes.superseded);
  await state.put(keys.identity(newIid), writes.identity);
  await state.put(keys.participant(participant.participantId), writes.participant);
  state.emit('IdentityRemapped', [{ participantId: participant.participantId, status: 'active' }]);
  return JSON.stringify(writes.identity);
}

/** One panel item: `created` now, `present` (registered exactly so already), `other` (its external id is another identity's). */
interface PanelResult {
  participantId: string;
  outcome: 'created' | 'present' | 'other';
  role: string;
}

/** How `item` is registered already, or undefined when it is new. */
async function registeredAs(state: State, mspId: string, item: RegisterItem): Promise<PanelResult | undefined> {
  const ref = await state.get<{ participantId: string }>(keys.external(item.externalIdHash));
  if (!ref) return undefined;
  const participant = await state.get<ParticipantRecord>(keys.participant(ref.participantId));
  if (!participant) throw notFound('a registered external id has no participant');
  const same = participant.mspId === mspId && participant.role === item.role && participant.identityId === identityId(mspId, item.enrollmentId);
  return { participantId: participant.participantId, outcome: same ? 'present' : 'other', role: participant.role };
}

/**
 * All or nothing: every item is checked (against each other in memory, since this transaction's
 * own writes are invisible to its reads, and against the state) before the first write.
 */
async function registerAll(state: State, mspId: string, items: RegisterItem[]): Promise<IdentityRecord[]> {
  const hashes = new Set<string>();
  const iids = new Set<string>();
  const planned = items.map((item, index) => {
    const iid = identityId(mspId, item.enrollmentId);
    if (hashes.has(item.externalIdHash)) throw invalid(`item ${index}: externalIdHash appears twice`);
    if (iids.has(iid)) throw invalid(`item ${index}: enrollmentId appears twice`);
    hashes.add(item.externalIdHash);
    iids.add(iid);
    return { item, iid, pid: participantIdFor(state.txId, index) };
  });
  for (const [index, p] of planned.entries()) {
    if (await state.get(keys.external(p.item.externalIdHash))) throw conflict(`item ${index}: external id already registered`);
    if (await state.get(keys.identity(p.iid))) throw conflict(`item ${index}: enrollment id already registered`);
  }
  const records: IdentityRecord[] = [];
  for (const { item, iid, pid } of planned) {
    const record: IdentityRecord = {
      identityId: iid,
      participantId: pid,
      mspId,
      role: item.role,
      status: 'active',
      registeredAt: state.now,
      updatedAt: state.now,
      supersededBy: null,
    };
    const participant: ParticipantRecord = {
      participantId: pid,
      externalIdHash: item.externalIdHash,
      identityId: iid,
      mspId,
      role: item.role,
      registeredAt: state.now,
      updatedAt: state.now,
    };
    await state.put(keys.identity(iid), record);
    await state.put(keys.participant(pid), participant);
    await state.put(keys.external(item.externalIdHash), { participantId: pid });
    records.push(record);
  }
  return records;
}
