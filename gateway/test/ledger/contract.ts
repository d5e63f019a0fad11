/** A tiny contract exercising each stub call, so the embedded ledger's semantics can be tested alone. */
import { Contract, type Context } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

export class TestContract extends Contract {
  constructor() {
    super('Test');
  }

  async put(ctx: Context, key: string, value: string): Promise<string> {
    await ctx.stub.putState(key, Buffer.from(value));
    ctx.stub.setEvent('Put', Buffer.from(JSON.stringify({ key })));
    return value;
  }

  async get(ctx: Context, key: string): Promise<string> {
    return text(await ctx.stub.getState(key));
  }

  /** Writes, then reads the same key back: Fabric returns the committed value, not the write. */
  async putThenGet(ctx: Context, key: string, value: string): Promise<string> {
    await ctx.stub.putState(key, Buffer.from(value));
    return JSON.stringify({ read: text(await ctx.stub.getState(key)) });
  }

  async remove(ctx: Context, key: string): Promise<void> {
    await ctx.stub.deleteState(key);
  }

  async failAfterWrite(ctx: Context, key: string): Promise<void> {
    await ctx.stub.putState(key, Buffer.from('should not persist'));
    ctx.stub.setEvent('Failed', Buffer.from('{}'));
    throw new Error('CONFLICT: refused after writing');
  }

  async crash(): Promise<void> {
    throw new TypeError('a bug in the chaincode');
  }

  async increment(ctx: Context, key: string): Promise<string> {
    const now = Number(text(await ctx.stub.getState(key)) || '0') + 1;
    await ctx.stub.putState(key, Buffer.from(String(now)));
    return String(now);
  }

  async putComposite(ctx: Context, type: string, a: string, b: string, value: string): Promise<string> {
    const key = ctx.stub.createCompositeKey(type, [a, b]);
    await ctx.stub.putState(key, Buffer.from(value));
    return JSON.stringify(ctx.stub.splitCompositeKey(key));
  }

  async partial(ctx: Context, type: string, attrsJson: string): Promise<string> {
    const out: string[] = [];
    for await (const kv of ctx.stub.getStateByPartialCompositeKey(type, JSON.parse(attrsJson) as string[])) {
      out.push(JSON.stringify([ctx.stub.splitCompositeKey(kv.key).attributes, text(kv.value)]));
    }
    return JSON.stringify(out);
  }

  async range(ctx: Context, start: string, end: string): Promise<string> {
    const out: string[] = [];
    for await (const kv of ctx.stub.getStateByRange(start, end)) out.push(kv.key);
    return JSON.stringify(out);
  }

  /** Reads a range and writes a marker: its range read is validated for phantoms at commit. */
  async countRange(ctx: Context, start: string, end: string, marker: string): Promise<string> {
    let n = 0;
    for await (const _ of ctx.stub.getStateByRange(start, end)) n++;
    await ctx.stub.putState(marker, Buffer.from(String(n)));
    return String(n);
  }

  async page(ctx: Context, start: string, end: string, size: string, bookmark: string): Promise<string> {
    const { iterator, metadata } = await ctx.stub.getStateByRangeWithPagination(start, end, Number(size), bookmark);
    const keys: string[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) keys.push(r.value.key);
    await iterator.close();
    return JSON.stringify({ keys, metadata: metadata !== undefined, bookmark: metadata?.bookmark ?? '', count: metadata?.fetchedRecordsCount ?? 0 });
  }

  async pageThenWrite(ctx: Context, key: string): Promise<void> {
    await ctx.stub.getStateByRangeWithPagination('', '', 10, '');
    await ctx.stub.putState(key, Buffer.from('x'));
  }

  async history(ctx: Context, key: string): Promise<string> {
    const out: unknown[] = [];
    for await (const m of ctx.stub.getHistoryForKey(key)) {
      out.push({ txId: m.txId, isDelete: m.isDelete, value: text(m.value), seconds: Number(String(m.timestamp.seconds)) });
    }
    return JSON.stringify(out);
  }

  async whoami(ctx: Context): Promise<string> {
    const { fcn, params } = ctx.stub.getFunctionAndParameters();
    const creator = ctx.stub.getCreator();
    return JSON.stringify({
      mspId: ctx.clientIdentity.getMSPID(),
      id: ctx.clientIdentity.getID(),
      role: ctx.clientIdentity.getAttributeValue('role'),
      hospital: ctx.clientIdentity.getAttributeValue('hospital'),
      enrollmentId: ctx.clientIdentity.getAttributeValue('hf.EnrollmentID'),
      creatorMspId: creator.mspid,
      creatorIsPem: text(creator.idBytes).startsWith('-----BEGIN CERTIFICATE-----'),
      txId: ctx.stub.getTxID(),
      channel: ctx.stub.getChannelID(),
      seconds: Number(String(ctx.stub.getTxTimestamp().seconds)),
      transient: ctx.stub.getTransient().size,
      fcn,
      params,
      args: ctx.stub.getArgs(),
    });
  }

  /** Only `org`'s peers may endorse later changes of `key` (state-based endorsement). */
  async protect(ctx: Context, key: string, org: string): Promise<string> {
    const policy = new KeyEndorsementPolicy();
    policy.addOrgs('PEER', org);
    await ctx.stub.setStateValidationParameter(key, policy.getPolicy());
    return JSON.stringify(new KeyEndorsementPolicy(await ctx.stub.getStateValidationParameter(key)).listOrgs());
  }

  async policyOf(ctx: Context, key: string): Promise<string> {
    const policy = await ctx.stub.getStateValidationParameter(key);
    return JSON.stringify(policy ? new KeyEndorsementPolicy(policy).listOrgs() : []);
  }
}
