'use strict';
// Channel configuration updates signed by each member on its own side, as protobuf (signatures must
// survive byte for byte, which a JSON round trip through configtxlator does not promise):
//   node network/config-update.cjs signature SIGNED_ENVELOPE OUT
//       the signature a member's `peer channel signconfigtx` added to its copy (the copy's last one),
//       written alone as a ConfigSignature: what the member hands back.
//   node network/config-update.cjs merge ENVELOPE OUT SIGNATURE...
//       the unsigned update envelope with the members' signatures, ready to submit.
//   node network/config-update.cjs enough CONFIG_BLOCK SIGNATURE...
//       whether the signatures' organisations satisfy the Admins policies of the Application and
//       Orderer groups (ANY / MAJORITY / ALL of their organisations) — the policies an update of
//       either group's membership must meet. Prints {"signed":[…],"needed":{…},"enough":bool}; exit
//       code 0 only when enough. The orderer still checks every signature itself.
const { readFileSync, writeFileSync } = require('node:fs');
const { common, msp } = require('@hyperledger/fabric-protos');

function configFromBlock(file) {
  const block = common.Block.deserializeBinary(readFileSync(file));
  const envelope = common.Envelope.deserializeBinary(block.getData().getDataList_asU8()[0]);
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  return common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig();
}

function updateEnvelope(file) {
  const envelope = common.Envelope.deserializeBinary(readFileSync(file));
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  return { envelope, payload, update: common.ConfigUpdateEnvelope.deserializeBinary(payload.getData_asU8()) };
}

function signerMsp(signature) {
  const header = common.SignatureHeader.deserializeBinary(signature.getSignatureHeader_asU8());
  return msp.SerializedIdentity.deserializeBinary(header.getCreator_asU8()).getMspid();
}

const RULES = { 0: 'ANY', 1: 'ALL', 2: 'MAJORITY' };

function needed(group) {
  const orgs = [...group.getGroupsMap().keys()];
  const value = group.getPoliciesMap().get('Admins').getPolicy();
  if (value.getType() !== common.Policy.PolicyType.IMPLICIT_META) throw new Error('Admins is not an ImplicitMeta policy');
  const rule = RULES[common.ImplicitMetaPolicy.deserializeBinary(value.getValue_asU8()).getRule()];
  const count = rule === 'ANY' ? 1 : rule === 'ALL' ? orgs.length : Math.floor(orgs.length / 2) + 1;
  return { rule, orgs, count };
}

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'signature': {
    const [signed, out] = args;
    const signatures = updateEnvelope(signed).update.getSignaturesList();
    if (signatures.length === 0) throw new Error(`${signed} carries no signature`);
    writeFileSync(out, signatures[signatures.length - 1].serializeBinary(), { mode: 0o644 });
    process.stdout.write(`${signerMsp(signatures[signatures.length - 1])}\n`);
    break;
  }
  case 'merge': {
    const [input, out, ...files] = args;
    const { envelope, payload, update } = updateEnvelope(input);
    for (const file of files) update.addSignatures(common.ConfigSignature.deserializeBinary(readFileSync(file)));
    payload.setData(update.serializeBinary());
    envelope.setPayload(payload.serializeBinary());
    writeFileSync(out, envelope.serializeBinary());
    break;
  }
  case 'enough': {
    const [blockFile, ...files] = args;
    const channel = configFromBlock(blockFile).getChannelGroup();
    const signed = [...new Set(files.map((f) => signerMsp(common.ConfigSignature.deserializeBinary(readFileSync(f)))))];
    const result = { signed, needed: {}, enough: true };
    for (const name of ['Application', 'Orderer']) {
      const { rule, orgs, count } = needed(channel.getGroupsMap().get(name));
      const have = signed.filter((m) => orgs.includes(m)).length;
      result.needed[name] = { rule, of: orgs.length, count, have };
      if (have < count) result.enough = false;
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exitCode = result.enough ? 0 : 3;
    break;
  }
  default:
    process.stderr.write('usage: config-update.cjs signature|merge|enough …\n');
    process.exit(2);
}
