// fabric-contract-api logs every decorator and failed transaction at info level; tests read results instead.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';
