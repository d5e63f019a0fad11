/**
 * fabric-contract-api logs every decorator at info level when the chaincode module loads, which would
 * bury the gateway's own output. Import this module before anything that loads the chaincode.
 */
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'WARNING';
