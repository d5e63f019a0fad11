import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Device } from '../device';
import { useSession } from '../session';
import { Busy, ErrorNote, Page, useAction } from '../ui';

export function Unlock() {
  const { setDevice } = useSession();
  const navigate = useNavigate();
  const [passphrase, setPassphrase] = useState('');
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      setDevice(await Device.unlock(passphrase));
      navigate('/');
    });
  };
  return (
    <Page title="Unlock this device">
      <form onSubmit={submit}>
        <label htmlFor="passphrase">Device passphrase</label>
        <input id="passphrase" type="password" autoComplete="current-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} required />
        <button type="submit" className="primary" disabled={busy}>Unlock</button>
      </form>
      {busy && <Busy label="Opening your wallet" />}
      <ErrorNote error={error} />
    </Page>
  );
}
