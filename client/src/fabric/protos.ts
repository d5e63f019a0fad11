/**
 * Fabric's own protobuf message classes (@hyperledger/fabric-protos, the ones fabric-gateway uses),
 * imported file by file: the package index also loads the gRPC service stubs and @grpc/grpc-js, which
 * a browser cannot run; each *_pb.js needs only google-protobuf.
 */
import commonPb from '@hyperledger/fabric-protos/lib/common/common_pb.js';
import gatewayPb from '@hyperledger/fabric-protos/lib/gateway/gateway_pb.js';
import identitiesPb from '@hyperledger/fabric-protos/lib/msp/identities_pb.js';
import chaincodePb from '@hyperledger/fabric-protos/lib/peer/chaincode_pb.js';
import proposalPb from '@hyperledger/fabric-protos/lib/peer/proposal_pb.js';
import proposalResponsePb from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb.js';
import transactionPb from '@hyperledger/fabric-protos/lib/peer/transaction_pb.js';

export const common = commonPb;
export const gateway = gatewayPb;
export const msp = identitiesPb;
export const peer = { ...chaincodePb, ...proposalPb, ...proposalResponsePb, ...transactionPb };
