import t from 'tap';
import { bundleForBrowser } from './support/bundle.js';

t.test('the browser entry bundles for platform=browser with no Node built-in and no gRPC', async (t) => {
  const bundle = await bundleForBrowser();
  t.same(bundle.nodeImports, [], 'no module of the browser build imports a Node built-in');
  const inputs = Object.keys(bundle.metafile.inputs);
  t.ok(inputs.some((i) => i.includes('fabric-protos/lib/peer/proposal_pb.js')), "Fabric's own message classes are in the bundle");
  t.notOk(inputs.some((i) => /grpc|_grpc_pb\.js/.test(i)), 'but none of the gRPC service stubs or @grpc/grpc-js');
  t.notOk(inputs.some((i) => i.includes('src/node/') || i.includes('src/cli/')), 'nor the Node-only entry points');
  t.notOk(inputs.some((i) => /(^|\/)gateway\/(dist|src)\//.test(i)), 'nor anything of the gateway');
  t.match(bundle.code, /medrec-request\+jws/);
  t.comment(`browser bundle: ${(bundle.code.length / 1024).toFixed(0)} KiB unminified, ${inputs.length} modules`);
});

t.test('the check itself catches a Node import', async (t) => {
  const bundle = await bundleForBrowser(new URL('../src/node/index.js', import.meta.url).pathname);
  t.ok(bundle.nodeImports.some((i) => i.path.startsWith('node:')), 'the Node entry is flagged');
});
