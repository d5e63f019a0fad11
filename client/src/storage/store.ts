/** Where the sealed wallet text lives: IndexedDB in a browser, a 0600 file in Node (`@medrec/client/node`). */
export interface WalletStore {
  /** The sealed wallet text, or undefined when none is stored. */
  read(): Promise<string | undefined>;
  /** Replaces the stored text atomically: after a crash, the old text or the new one, never a mix. */
  write(text: string): Promise<void>;
  remove(): Promise<void>;
}

const OBJECT_STORE = 'wallets';

/** The browser's store: one record in an IndexedDB object store; each write is one transaction. */
export class IndexedDbStore implements WalletStore {
  constructor(
    private readonly name = 'medrec-wallet',
    private readonly key = 'default',
    private readonly factory: IDBFactory = globalThis.indexedDB,
  ) {}

  async read(): Promise<string | undefined> {
    const value = await this.run('readonly', (store) => store.get(this.key));
    return typeof value === 'string' ? value : undefined;
  }

  async write(text: string): Promise<void> {
    await this.run('readwrite', (store) => store.put(text, this.key));
  }

  async remove(): Promise<void> {
    await this.run('readwrite', (store) => store.delete(this.key));
  }

  private async run(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest): Promise<unknown> {
    const db = await this.open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(OBJECT_STORE, mode);
        const request = op(tx.objectStore(OBJECT_STORE));
        // Resolved when the transaction has committed, not when the request succeeded.
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(tx.error ?? request.error);
        tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      });
    } finally {
      db.close();
    }
  }

  private open(): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      const request = this.factory.open(this.name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(OBJECT_STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('IndexedDB is blocked by another open connection'));
    });
  }
}

/** A store in memory: for an app that keeps nothing on the device, and for tests. */
export class MemoryStore implements WalletStore {
  private text: string | undefined;

  async read(): Promise<string | undefined> {
    return this.text;
  }

  async write(text: string): Promise<void> {
    this.text = text;
  }

  async remove(): Promise<void> {
    this.text = undefined;
  }
}
