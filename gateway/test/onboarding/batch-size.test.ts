/** The panel job's batch sizes: each ledger adapter's default, and how a batch shrinks after a ledger timeout. */
import t from 'tap';
import { DEFAULT_PANEL_BATCH, MAX_BATCH, shrunk } from '../../src/services/onboarding/batch-size.js';

t.test('defaults: the chaincode bound on the embedded ledger, smaller on Fabric', async (t) => {
  t.equal(DEFAULT_PANEL_BATCH.embedded, MAX_BATCH);
  t.ok(DEFAULT_PANEL_BATCH.fabric < MAX_BATCH && DEFAULT_PANEL_BATCH.fabric <= 100, 'what fit the 15 s endorsement deadline under load');
});

t.test('a timed-out batch is halved (rounded up) until a single patient, then nothing smaller', async (t) => {
  const steps: number[] = [];
  for (let size: number | undefined = MAX_BATCH; size !== undefined; size = shrunk(size)) steps.push(size);
  t.same(steps, [500, 250, 125, 63, 32, 16, 8, 4, 2, 1], 'ten tries from the largest batch to one patient');
  t.equal(shrunk(3), 2);
  t.equal(shrunk(2), 1);
  t.equal(shrunk(1), undefined, 'one patient alone timing out is the answer');
});
