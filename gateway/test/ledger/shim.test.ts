/** What the embedded ledger changes in how fabric-shim runs: less wasted work, the same results. */
import './quiet.js';
import { createRequire } from 'node:module';
import t from 'tap';
import { TestContract } from './contract.js';
import { json, openChannel, openOrg, tempDir } from './support.js';

interface ShimLogger {
  level: string;
  format: { transform(info: object, options: unknown): unknown };
  transports: { log(info: object, next: () => void): void }[];
  debug(message: string): void;
  warn(message: string): void;
}

t.test('every transaction sees its own creator, however often the same certificates sign', async (t) => {
  const dir = tempDir(t);
  const h1 = await openOrg(dir, 'Hospital1MSP', 'Hospital 1');
  const h2 = await openOrg(dir, 'Hospital2MSP', 'Hospital 2');
  const alice = await h1.enroll('alice', 'patient');
  const bob = await h2.enroll('bob', 'provider');
  const ledger = await openChannel(dir, [h1, h2], [TestContract]);
  t.teardown(async () => {
    await ledger.close();
    h1.ca.close();
    h2.ca.close();
  });
  for (let round = 0; round < 3; round++) {
    for (const [signer, expected] of [
      [alice, { mspId: 'Hospital1MSP', enrollmentId: 'alice', role: 'patient', id: 'x509::/OU=client/CN=alice::/CN=ca.hospital1msp/O=Hospital 1' }],
      [bob, { mspId: 'Hospital2MSP', enrollmentId: 'bob', role: 'provider', id: 'x509::/OU=client/CN=bob::/CN=ca.hospital2msp/O=Hospital 2' }],
    ] as const) {
      t.match(json(await ledger.evaluate(signer, 'Test', 'whoami', [])), expected, `round ${round}: ${expected.enrollmentId}`);
    }
  }
});

t.test("fabric-shim's lines below the level are dropped before formatting; the others are still formatted for it", async (t) => {
  // The ledger module installs the change when it loads fabric-shim (support.js imported it).
  const requireShim = createRequire(createRequire(import.meta.url).resolve('fabric-shim'));
  const logger = (requireShim('./lib/logger.js') as { getLogger(name: string): ShimLogger }).getLogger('shim.test');
  const level = logger.level;
  const transport = logger.transports[0]!;
  const { transform } = logger.format;
  const { log } = transport;
  const formatted: string[] = [];
  logger.format.transform = (info, options) => {
    formatted.push((info as { message: string }).message);
    return transform.call(logger.format, info, options);
  };
  // Kept off the test's output: which lines the shared console transport prints is winston's business.
  transport.log = (_info, next) => next();
  t.teardown(() => {
    logger.level = level;
    logger.format.transform = transform;
    transport.log = log;
  });
  logger.level = 'warn';
  logger.debug('a debug line');
  logger.warn('a warning');
  logger.level = 'debug';
  logger.debug('a wanted debug line');
  await new Promise(setImmediate);
  t.same(formatted, ['a warning', 'a wanted debug line']);
});
