import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$MEDREC_WALLET`, else `$XDG_DATA_HOME/medrec/wallet.json`, else `~/.local/share/medrec/wallet.json`. */
export function defaultWalletPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['MEDREC_WALLET']) return env['MEDREC_WALLET'];
  const base = env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(base, 'medrec', 'wallet.json');
}
