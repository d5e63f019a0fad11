import { Context, Contract, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { notFound } from '../domain/errors';
import { nextStatus } from '../domain/status';
import { requireHex64 } from '../domain/validation';
import { rolesFor } from '../domain/transactions';
import { registeredCaller } from './caller';
import { loadRelationship, requirePatient, requireProvider, summariesOf, writeStatus } from './relationships';
import { State } from './state';

@Info({ title: 'Summary', description: "Each participant's relationships with a status each" })
export class SummaryContract extends Contract {
  constructor() {
    super('Summary');
  }

  @Transaction(false)
  @Returns('string')
  async mine(ctx: Context): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Summary.mine'));
    return JSON.stringify(await summariesOf(state, caller.participantId));
  }

  @Transaction(false)
  @Returns('string')
  @Param('participantId', 'string', 'the participant whose summary is wanted')
  async of(ctx: Context, participantId: string): Promise<string> {
    const state = new State(ctx);
    await registeredCaller(ctx, state, rolesFor('Summary.of'));
    const pid = requireHex64(participantId, 'participantId');
    return JSON.stringify(await summariesOf(state, pid));
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship whose update the patient has seen')
  async acknowledge(ctx: Context, relationshipId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Summary.acknowledge'));
    const rel = await loadRelationship(state, relationshipId);
    requirePatient(caller, rel);
    const next = await writeStatus(state, rel, nextStatus(rel.status, 'acknowledge'));
    state.emit('UpdateAcknowledged', [{ participantId: rel.providerId, relationshipId: rel.relationshipId, status: next.status }]);
    return JSON.stringify(next);
  }

  @Transaction()
  @Returns('string')
  @Param('relationshipId', 'string', 'the relationship with new data for the patient')
  async markUpdateAvailable(ctx: Context, relationshipId: string): Promise<string> {
    const state = new State(ctx);
    const caller = await registeredCaller(ctx, state, rolesFor('Summary.markUpdateAvailable'));
    const rel = await loadRelationship(state, relationshipId);
    requireProvider(caller, rel);
    const next = await writeStatus(state, rel, nextStatus(rel.status, 'markUpdateAvailable'));
    state.emit('UpdateAvailable', [{ participantId: rel.patientId, relationshipId: rel.relationshipId, status: next.status }]);
    return JSON.stringify(next);
  }

  override async unknownTransaction(): Promise<void> {
    throw notFound('Summary has no such transaction');
  }
}
