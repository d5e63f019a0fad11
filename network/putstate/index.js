'use strict';
// The cheapest useful transaction: one key written, no reads, no checks. bench:fabric compares the
// medrec chaincode against it on the same network to show what our chaincode itself costs.
const { Contract } = require('fabric-contract-api');

class PutStateContract extends Contract {
  constructor() {
    super('PutState');
  }

  async put(ctx, key, value) {
    await ctx.stub.putState(key, Buffer.from(value, 'utf8'));
    return '';
  }
}

module.exports.contracts = [PutStateContract];
