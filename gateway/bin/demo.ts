// fabric-contract-api logs every decorator when the chaincode loads: quiet it first.
import '../src/system/quiet-chaincode.js';

/** `npm run demo`: the white paper's Figure 2 over HTTP (demo/figure2.ts). */
const { walkFigure2 } = await import('../demo/figure2.js');
walkFigure2().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
