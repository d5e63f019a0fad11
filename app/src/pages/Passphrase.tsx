import { useState } from 'react';

export const passphraseProblem = (a: string, b: string) => (a.length < 8 ? { code: 'PASSPHRASE_SHORT' } : a !== b ? { code: 'PASSPHRASE_DIFFERS' } : null);

/** Two fields for a new device passphrase. */
export function NewPassphrase({ onChange }: { onChange(a: string, b: string): void }) {
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  return (
    <>
      <label htmlFor="new-passphrase">Device passphrase (at least 8 characters)</label>
      <input id="new-passphrase" type="password" autoComplete="new-password" value={a} required
        onChange={(e) => { setA(e.target.value); onChange(e.target.value, b); }} />
      <label htmlFor="repeat-passphrase">Device passphrase again</label>
      <input id="repeat-passphrase" type="password" autoComplete="new-password" value={b} required
        onChange={(e) => { setB(e.target.value); onChange(a, e.target.value); }} />
      <p className="hint">It unlocks the wallet on this device only. Your recovery phrase restores it anywhere.</p>
    </>
  );
}
