/**
 * The channel's members as its configuration block defines them: each application organisation's
 * MSP (root and intermediate CA certificates, revocation_list). Parsed with the protobuf classes
 * @hyperledger/fabric-gateway itself uses.
 */
import { common, msp, orderer } from '@hyperledger/fabric-protos';
import type { ChannelMember } from '../../../ports/ledger.js';

const FABRIC_MSP = 0;
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** The number of the configuration block in force when `blockBytes` (any block) was cut. */
export function lastConfigIndex(blockBytes: Uint8Array): bigint {
  const metadata = common.Block.deserializeBinary(blockBytes).getMetadata()?.getMetadataList_asU8() ?? [];
  const signatures = metadata[common.BlockMetadataIndex.SIGNATURES];
  if (signatures && signatures.length > 0) {
    const value = common.Metadata.deserializeBinary(signatures).getValue_asU8();
    const last = common.OrdererBlockMetadata.deserializeBinary(value).getLastConfig();
    if (last) return BigInt(last.getIndex());
  }
  // Blocks from before Fabric 1.4.? kept the index in its own (now deprecated) metadata slot.
  const legacy = metadata[common.BlockMetadataIndex.LAST_CONFIG];
  if (legacy && legacy.length > 0) {
    const value = common.Metadata.deserializeBinary(legacy).getValue_asU8();
    return BigInt(common.LastConfig.deserializeBinary(value).getIndex());
  }
  throw new Error('the block names no configuration block');
}

/** Whether a block is a configuration block (its one envelope is of type CONFIG). */
export function isConfigBlock(blockBytes: Uint8Array): boolean {
  return headerType(firstEnvelope(blockBytes)) === common.HeaderType.CONFIG;
}

/** The application organisations of a configuration block (or a genesis block), as channel members. */
export function membersOfConfigBlock(blockBytes: Uint8Array): ChannelMember[] {
  const payload = common.Payload.deserializeBinary(firstEnvelope(blockBytes).getPayload_asU8());
  const config = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig();
  const application = config?.getChannelGroup()?.getGroupsMap().get('Application');
  if (!application) throw new Error('the configuration block has no Application group');
  const members: ChannelMember[] = [];
  application.getGroupsMap().forEach((org: common.ConfigGroup) => {
    const value = org.getValuesMap().get('MSP');
    if (!value) return;
    const mspConfig = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
    if (mspConfig.getType() !== FABRIC_MSP) return;
    const fabric = msp.FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8());
    members.push({
      mspId: fabric.getName(),
      caCertificates: [...fabric.getRootCertsList_asU8(), ...fabric.getIntermediateCertsList_asU8()].map(text),
      revocationLists: fabric.getRevocationListList_asU8().map(text),
      tlsRootCertificates: [...fabric.getTlsRootCertsList_asU8(), ...fabric.getTlsIntermediateCertsList_asU8()].map(text),
    });
  });
  return members.sort((a, b) => a.mspId.localeCompare(b.mspId));
}

/** The ordering service a configuration block defines: its consensus type and each orderer's endpoints with its organisation's TLS CAs. */
export interface OrderingConfig {
  consensus: string;
  orderers: { endpoint: string; tlsRootCerts: string[] }[];
}

export function orderingOfConfigBlock(blockBytes: Uint8Array): OrderingConfig {
  const payload = common.Payload.deserializeBinary(firstEnvelope(blockBytes).getPayload_asU8());
  const group = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig()?.getChannelGroup()?.getGroupsMap().get('Orderer');
  if (!group) throw new Error('the configuration block has no Orderer group');
  const type = group.getValuesMap().get('ConsensusType');
  const consensus = type ? orderer.ConsensusType.deserializeBinary(type.getValue_asU8()).getType() : 'unknown';
  const orderers: OrderingConfig['orderers'] = [];
  group.getGroupsMap().forEach((org: common.ConfigGroup) => {
    const endpoints = org.getValuesMap().get('Endpoints');
    const mspValue = org.getValuesMap().get('MSP');
    if (!endpoints || !mspValue) return;
    const fabric = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(mspValue.getValue_asU8()).getConfig_asU8());
    const tlsRootCerts = [...fabric.getTlsRootCertsList_asU8(), ...fabric.getTlsIntermediateCertsList_asU8()].map(text);
    for (const endpoint of common.OrdererAddresses.deserializeBinary(endpoints.getValue_asU8()).getAddressesList()) {
      orderers.push({ endpoint, tlsRootCerts });
    }
  });
  return { consensus, orderers };
}

function firstEnvelope(blockBytes: Uint8Array): common.Envelope {
  const data = common.Block.deserializeBinary(blockBytes).getData()?.getDataList_asU8() ?? [];
  if (data.length === 0) throw new Error('the block holds no transaction');
  return common.Envelope.deserializeBinary(data[0]!);
}

function headerType(envelope: common.Envelope): number {
  const header = common.Payload.deserializeBinary(envelope.getPayload_asU8()).getHeader();
  if (!header) return -1;
  return common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()).getType();
}
