import t from 'tap';
import { closeAll } from '../../src/system/system.js';
import { removeDir, startTestSystem } from '../http/support.js';

t.test('closeAll stops every gateway, then the system, even when a gateway fails to close', async (t) => {
  const sys = await startTestSystem();
  t.teardown(() => removeDir(sys.dir));
  const [first, second] = sys.gateways;
  const order: string[] = [];
  const closeFirst = first!.app.close.bind(first!.app);
  first!.app.close = (async () => {
    await closeFirst();
    order.push('gateway 1');
    throw new Error('gateway 1 would not close');
  }) as never;
  const closeSecond = second!.app.close.bind(second!.app);
  second!.app.close = (async () => {
    await closeSecond();
    order.push('gateway 2');
  }) as never;
  const systemClose = sys.system.close;
  sys.system.close = async () => {
    t.notOk(second!.app.server.listening, 'the system closes after the gateways stopped listening');
    order.push('system');
    await systemClose();
  };

  await t.rejects(closeAll(sys.system, sys.gateways), /gateway 1 would not close/, "a gateway's failure to close is reported");
  t.same(order, ['gateway 1', 'gateway 2', 'system'], 'the other gateway and the system were still closed, in that order');
  for (const g of sys.gateways) t.notOk(g.app.server.listening, `${g.mspId} no longer listens`);
  await t.rejects(fetch(`${sys.h2}/ready`), 'nothing answers at its address');
});
