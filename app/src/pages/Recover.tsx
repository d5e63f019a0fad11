import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { isValidPhrase, normalisePhrase } from '@medrec/client';
import { Device } from '../device';
import { useSession } from '../session';
import { Busy, ErrorNote, Page, useAction } from '../ui';
import { NewPassphrase, passphraseProblem } from './Passphrase';

export function Recover() {
  const { setDevice, catalogue } = useSession();
  const navigate = useNavigate();
  const [phrase, setPhrase] = useState('');
  const [pass, setPass] = useState(['', '']);
  const { busy, error, run, setError } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const words = normalisePhrase(phrase);
    if (!isValidPhrase(words)) return setError({ code: 'INVALID_PHRASE' });
    const problem = passphraseProblem(pass[0]!, pass[1]!);
    if (problem) return setError(problem);
    if (!catalogue) return setError({ code: 'GATEWAY_UNREACHABLE' });
    void run(async () => {
      const device = await Device.recover(words, catalogue, pass[0]!);
      setDevice(device);
      navigate(device.unreached.length > 0 ? '/hospitals' : '/');
    });
  };
  return (
    <Page title="Recover your wallet">
      <p>Type the 12 words you wrote down when you activated your account. Your keys — for your home hospital and each hospital you added — are made again from them on this device.</p>
      <form onSubmit={submit}>
        <label htmlFor="phrase">Recovery phrase</label>
        <textarea id="phrase" rows={3} autoComplete="off" autoCapitalize="none" spellCheck={false} value={phrase} onChange={(e) => setPhrase(e.target.value)} required />
        <NewPassphrase onChange={(a, b) => setPass([a, b])} />
        <button type="submit" className="primary" disabled={busy}>Recover</button>
      </form>
      {busy && <Busy label="Re-deriving your keys and asking each hospital for their certificates" />}
      <ErrorNote error={error} />
    </Page>
  );
}
