import { EhrUnavailableError } from '../../../ports/ehr.js';
import type { MssqlPoolLike } from './store.js';

/**
 * A pool connected on first use and re-tried after a failure, so a database that comes back is picked
 * up without a restart; closed only if it ever connected.
 */
export class LazyPool {
  private connecting: Promise<unknown> | undefined;

  constructor(readonly pool: MssqlPoolLike) {}

  ready(): Promise<unknown> {
    this.connecting ??= this.pool.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw new EhrUnavailableError('SQL Server EHR database unreachable', { cause: err });
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    // a pool that never connected has nothing to close
    if (connecting && (await connecting.then(() => true, () => false))) await this.pool.close();
  }
}
