'use strict';
// node network/add-org.cjs CONFIG_BLOCK ORG_CONFIG MSP_ID ORIGINAL_OUT MODIFIED_OUT
// Takes the channel configuration out of a config block and adds an application organisation's
// ConfigGroup (ORG_CONFIG: a Config holding only that group) to it, writing both configs as protobuf for `configtxlator compute_update`.
// Done on the protobuf rather than configtxlator's JSON, which this Fabric build cannot produce for a
// SmartBFT channel (its fabric-config does not know the BFT `Orderers` value); unknown fields survive
// a protobuf round trip untouched.
const { readFileSync, writeFileSync } = require('node:fs');
const { common } = require('@hyperledger/fabric-protos');

const [blockFile, orgFile, mspId, originalOut, modifiedOut] = process.argv.slice(2);
if (!modifiedOut) {
  process.stderr.write('usage: add-org.cjs CONFIG_BLOCK ORG_CONFIG MSP_ID ORIGINAL_OUT MODIFIED_OUT\n');
  process.exit(2);
}
const block = common.Block.deserializeBinary(readFileSync(blockFile));
const envelope = common.Envelope.deserializeBinary(block.getData().getDataList_asU8()[0]);
const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
const config = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig();
writeFileSync(originalOut, config.serializeBinary());
const application = config.getChannelGroup().getGroupsMap().get('Application');
if (application.getGroupsMap().has(mspId)) {
  process.stderr.write(`${mspId} is already in the channel configuration\n`);
  process.exit(1);
}
const org = common.Config.deserializeBinary(readFileSync(orgFile)).getChannelGroup().getGroupsMap().get('Application').getGroupsMap().get(mspId);
application.getGroupsMap().set(mspId, org);
writeFileSync(modifiedOut, config.serializeBinary());
