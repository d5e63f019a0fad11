/** @medrec/client/node — the Node-only parts of the wallet. */
export { FileStore } from './file-store.js';
export { defaultWalletPath } from './paths.js';
