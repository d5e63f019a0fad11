export { DEFAULT_COST, reseal, seal, unseal, VaultError, type ScryptCost } from './vault.js';
