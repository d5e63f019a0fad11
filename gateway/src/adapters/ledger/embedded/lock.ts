/**
 * Fabric's commit lock: simulations share it, a block commit takes it alone, so a simulation never
 * sees half of a block. A waiting commit holds back new simulations (no writer starvation).
 */
export class CommitLock {
  private readers = 0;
  private writing = false;
  private writerWaiting = 0;
  private readonly waiters: (() => void)[] = [];

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async read<T>(run: () => Promise<T>): Promise<T> {
    await this.until(() => !this.writing && this.writerWaiting === 0);
    this.readers++;
    try {
      return await run();
    } finally {
      this.readers--;
      this.wake();
    }
  }

  async write<T>(run: () => T): Promise<T> {
    this.writerWaiting++;
    try {
      await this.until(() => !this.writing && this.readers === 0);
    } finally {
      this.writerWaiting--;
    }
    this.writing = true;
    try {
      return run();
    } finally {
      this.writing = false;
      this.wake();
    }
  }
}
