// fabric-contract-api logs every decorator at info level when the contracts load; tests read results instead.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';
