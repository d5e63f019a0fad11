// A hospital admin's channel operations in Node, without Fabric binaries (types: index.d.ts).
// pushCrl does what network/push-crl.sh does: the organisation's MSP definition on the channel gets
// the CA's CRL, signed by that organisation's admin alone, broadcast to its own orderer, and waited
// for on the peers. The configuration is read with the peer's cscc.GetChannelConfig through the
// peer's Gateway service; the update is computed the way configtxlator's compute_update does for a
// changed value (read set: the groups' versions; write set: the value at version + 1).
import { createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';
import protos from '@hyperledger/fabric-protos';
import { X509Certificate, X509Crl, cryptoProvider } from '@peculiar/x509';
import FabricCAServices from 'fabric-ca-client';
import fabricCommon from 'fabric-common';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';

const { common, msp, orderer } = protos;

export class ChannelAdminError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'ChannelAdminError';
    this.code = code;
  }
}

cryptoProvider.set(webcrypto);

const sha256 = (bytes) => createHash('sha256').update(bytes).digest();

export async function generateCrl(ca, admin) {
  const services = new FabricCAServices(ca.url, { trustedRoots: [ca.tlsRootCert], verify: true }, ca.caName);
  const user = fabricCommon.User.createUser('admin', '', admin.mspId, admin.certificate, admin.privateKey);
  try {
    return Buffer.from(await services.generateCRL({}, user), 'base64').toString('utf8');
  } catch (error) {
    throw new ChannelAdminError(/Authorization|not authorized|Authentication/i.test(String(error)) ? 'FORBIDDEN' : 'UNAVAILABLE', `the CA did not issue a CRL: ${error.message}`, { cause: error });
  }
}

function credentials(endpoint) {
  return {
    credentials: grpc.credentials.createSsl(Buffer.from(endpoint.tlsRootCert)),
    options: endpoint.hostAlias ? { 'grpc.ssl_target_name_override': endpoint.hostAlias } : {},
  };
}

function serials(crlPem) {
  try {
    return new X509Crl(crlPem).entries.map((e) => e.serialNumber.toLowerCase().replace(/^0+/, '')).sort();
  } catch (error) {
    throw new ChannelAdminError('INVALID_ARGUMENT', 'not a CRL in PEM', { cause: error });
  }
}

/** The admin's identity and signer, as Fabric wants them. */
function adminSigner(admin) {
  const creator = new msp.SerializedIdentity();
  creator.setMspid(admin.mspId);
  creator.setIdBytes(Buffer.from(admin.certificate));
  const sign = signers.newPrivateKeySigner(createPrivateKey(admin.privateKey));
  return {
    creator: creator.serializeBinary(),
    signatureHeader() {
      const header = new common.SignatureHeader();
      header.setCreator(creator.serializeBinary());
      header.setNonce(randomBytes(24));
      return header;
    },
    sign: (bytes) => sign(sha256(bytes)),
  };
}

async function channelConfig(peer, admin, channel) {
  const client = new grpc.Client(peer.endpoint, credentials(peer).credentials, credentials(peer).options);
  const gateway = connect({
    client,
    identity: { mspId: admin.mspId, credentials: Buffer.from(admin.certificate) },
    signer: signers.newPrivateKeySigner(createPrivateKey(admin.privateKey)),
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
  });
  try {
    const bytes = await gateway.getNetwork(channel).getContract('cscc').evaluateTransaction('GetChannelConfig', channel);
    return common.Config.deserializeBinary(bytes);
  } catch (error) {
    const code = error?.code === grpc.status.PERMISSION_DENIED ? 'FORBIDDEN' : 'UNAVAILABLE';
    throw new ChannelAdminError(code, `reading the channel configuration from ${peer.endpoint} failed: ${error.message}`, { cause: error });
  } finally {
    gateway.close();
    client.close();
  }
}

function fabricMspConfig(mspValue) {
  return msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(mspValue.getValue_asU8()).getConfig_asU8());
}

/** Whether one of the organisation's CAs (root or intermediate, as the channel carries them) signed the CRL. */
async function issuedByOrg(mspValue, crlPem) {
  const fabric = fabricMspConfig(mspValue);
  const crl = new X509Crl(crlPem);
  for (const pem of [...fabric.getRootCertsList_asU8(), ...fabric.getIntermediateCertsList_asU8()]) {
    const ca = new X509Certificate(Buffer.from(pem).toString('utf8'));
    if (ca.subject === crl.issuer && (await crl.verify({ publicKey: ca }).catch(() => false))) return true;
  }
  return false;
}

function revocationList(mspValue) {
  return fabricMspConfig(mspValue).getRevocationListList_asU8();
}

function withRevocationList(mspValue, crlPem) {
  const config = msp.MSPConfig.deserializeBinary(mspValue.getValue_asU8());
  const fabric = fabricMspConfig(mspValue);
  fabric.setRevocationListList([Buffer.from(crlPem)]);
  config.setConfig(fabric.serializeBinary());
  const value = new common.ConfigValue();
  value.setVersion(mspValue.getVersion() + 1);
  value.setModPolicy(mspValue.getModPolicy());
  value.setValue(config.serializeBinary());
  return value;
}

/** The read and write sets that change the organisation's MSP value in every group holding it. */
function mspUpdate(config, mspId, crlPem) {
  const channel = config.getChannelGroup();
  const readSet = new common.ConfigGroup();
  const writeSet = new common.ConfigGroup();
  readSet.setVersion(channel.getVersion());
  writeSet.setVersion(channel.getVersion());
  let found = false;
  for (const name of ['Application', 'Orderer']) {
    const group = channel.getGroupsMap().get(name);
    const org = group?.getGroupsMap().get(mspId);
    if (!org) continue;
    found = true;
    const [readGroup, writeGroup, readOrg, writeOrg] = [0, 1, 2, 3].map(() => new common.ConfigGroup());
    readGroup.setVersion(group.getVersion());
    writeGroup.setVersion(group.getVersion());
    readOrg.setVersion(org.getVersion());
    writeOrg.setVersion(org.getVersion());
    writeOrg.getValuesMap().set('MSP', withRevocationList(org.getValuesMap().get('MSP'), crlPem));
    readGroup.getGroupsMap().set(mspId, readOrg);
    writeGroup.getGroupsMap().set(mspId, writeOrg);
    readSet.getGroupsMap().set(name, readGroup);
    writeSet.getGroupsMap().set(name, writeGroup);
  }
  if (!found) throw new ChannelAdminError('INVALID_ARGUMENT', `${mspId} is not an organisation of the channel`);
  return { readSet, writeSet };
}

async function configUpdateEnvelope(channel, update, signer) {
  const updateBytes = update.serializeBinary();
  const header = signer.signatureHeader().serializeBinary();
  const signature = new common.ConfigSignature();
  signature.setSignatureHeader(header);
  signature.setSignature(await signer.sign(Buffer.concat([header, updateBytes])));
  const updateEnvelope = new common.ConfigUpdateEnvelope();
  updateEnvelope.setConfigUpdate(updateBytes);
  updateEnvelope.addSignatures(signature);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.CONFIG_UPDATE);
  channelHeader.setChannelId(channel);
  const now = Date.now();
  const timestamp = new timestampPb.Timestamp();
  timestamp.setSeconds(Math.floor(now / 1000));
  timestamp.setNanos((now % 1000) * 1e6);
  channelHeader.setTimestamp(timestamp);
  const payloadHeader = new common.Header();
  payloadHeader.setChannelHeader(channelHeader.serializeBinary());
  payloadHeader.setSignatureHeader(signer.signatureHeader().serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(payloadHeader);
  payload.setData(updateEnvelope.serializeBinary());
  const payloadBytes = payload.serializeBinary();
  const envelope = new common.Envelope();
  envelope.setPayload(payloadBytes);
  envelope.setSignature(await signer.sign(payloadBytes));
  return envelope;
}

/** Broadcasts one envelope to an orderer and returns its answer. */
function broadcast(endpoint, envelope, timeoutMs) {
  const { credentials: creds, options } = credentials(endpoint);
  const client = new grpc.Client(endpoint.endpoint, creds, options);
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      '/orderer.AtomicBroadcast/Broadcast',
      (message) => Buffer.from(message.serializeBinary()),
      (bytes) => orderer.BroadcastResponse.deserializeBinary(bytes),
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
    );
    let answered = false;
    call.on('data', (response) => {
      answered = true;
      call.end();
      resolve(response);
    });
    call.on('error', (error) => {
      if (!answered) reject(new ChannelAdminError('UNAVAILABLE', `the orderer ${endpoint.endpoint} did not answer: ${error.message}`, { cause: error }));
    });
    call.on('end', () => client.close());
    call.write(envelope);
  });
}

async function committed(endpoint, admin, channel, sequence, until) {
  for (;;) {
    try {
      const config = await channelConfig(endpoint, admin, channel);
      if (config.getSequence() >= sequence) return;
    } catch (error) {
      if (Date.now() > until) throw error;
    }
    if (Date.now() > until) throw new ChannelAdminError('TIMEOUT', `${endpoint.endpoint} has not committed configuration ${sequence}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function pushCrl(options) {
  const { channel, admin, crlPem, peer, orderer: ordererEndpoint, waitFor = [], timeoutMs = 30_000 } = options;
  const revoked = serials(crlPem);
  const crlSha256 = sha256(Buffer.from(crlPem)).toString('hex');
  const mspId = options.mspId ?? admin.mspId;
  const config = await channelConfig(peer, admin, channel);
  const current = channelMsp(config, mspId);
  if (!(await issuedByOrg(current, crlPem))) {
    throw new ChannelAdminError('INVALID_ARGUMENT', `the CRL is not signed by a CA of ${mspId}`);
  }
  // A CA signs a new CRL (new date, new signature) at every request: the channel changes only when
  // the revoked certificates do.
  const carried = revocationList(current).map((crl) => serials(Buffer.from(crl).toString('utf8')));
  if (carried.length === 1 && carried[0].join() === revoked.join()) {
    const onChannel = Buffer.from(revocationList(current)[0]);
    return { mspId, revokedSerials: revoked, crlSha256: sha256(onChannel).toString('hex'), configSequence: config.getSequence(), unchanged: true };
  }

  const { readSet, writeSet } = mspUpdate(config, mspId, crlPem);
  const update = new common.ConfigUpdate();
  update.setChannelId(channel);
  update.setReadSet(readSet);
  update.setWriteSet(writeSet);
  const envelope = await configUpdateEnvelope(channel, update, adminSigner(admin));
  const response = await broadcast(ordererEndpoint, envelope, timeoutMs);
  if (response.getStatus() !== common.Status.SUCCESS) {
    const status = Object.entries(common.Status).find(([, v]) => v === response.getStatus())?.[0] ?? response.getStatus();
    const code = response.getStatus() === common.Status.FORBIDDEN || response.getStatus() === common.Status.BAD_REQUEST ? 'FORBIDDEN' : 'UNAVAILABLE';
    throw new ChannelAdminError(code, `the orderer refused the update: ${status} ${response.getInfo()}`);
  }
  const sequence = config.getSequence() + 1;
  const until = Date.now() + timeoutMs;
  await Promise.all([peer, ...waitFor].map((endpoint) => committed(endpoint, admin, channel, sequence, until)));
  return { mspId, revokedSerials: revoked, crlSha256, configSequence: sequence, unchanged: false };
}

function channelMsp(config, mspId) {
  const org = config.getChannelGroup().getGroupsMap().get('Application')?.getGroupsMap().get(mspId);
  if (!org) throw new ChannelAdminError('INVALID_ARGUMENT', `${mspId} is not an organisation of the channel`);
  return org.getValuesMap().get('MSP');
}
