import { useMemo, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Wallet, type ActivationInfo } from '@medrec/client';
import { Device, gateway } from '../device';
import { useSession } from '../session';
import { Busy, ErrorNote, Page, hospitalName, useAction } from '../ui';
import { NewPassphrase, passphraseProblem } from './Passphrase';

type Step = 'code' | 'phrase' | 'confirm' | 'passphrase';

/** Three distinct word positions (1-based) to ask back, in order. */
function positions(): number[] {
  const picked = new Set<number>();
  const random = new Uint32Array(16);
  crypto.getRandomValues(random);
  for (const r of random) if (picked.size < 3) picked.add((r % 12) + 1);
  return [...picked].sort((a, b) => a - b);
}

export function Activate() {
  const { setDevice } = useSession();
  const navigate = useNavigate();
  const [step, setStep] = useState<Step>('code');
  const [code, setCode] = useState('');
  const [info, setInfo] = useState<ActivationInfo | null>(null);
  const [phrase, setPhrase] = useState('');
  const asked = useMemo(positions, [phrase]);
  const [answers, setAnswers] = useState<Record<number, string>>({});
  const [pass, setPass] = useState(['', '']);
  const { busy, error, run, setError } = useAction();

  const inspect = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      setInfo(await gateway().inspectActivation(code.trim()));
      setPhrase(Wallet.newPhrase());
      setStep('phrase');
    });
  };
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    const words = phrase.split(' ');
    if (!asked.every((n) => (answers[n] ?? '').trim().toLowerCase() === words[n - 1])) return setError({ code: 'PHRASE_MISMATCH' });
    setError(null);
    setStep('passphrase');
  };
  const finish = (e: FormEvent) => {
    e.preventDefault();
    const problem = passphraseProblem(pass[0]!, pass[1]!);
    if (problem) return setError(problem);
    void run(async () => {
      const device = await Device.enrol(phrase, code.trim(), pass[0]!);
      setPhrase('');
      setDevice(device);
      navigate('/');
    });
  };

  return (
    <Page title="Activate your account">
      {step === 'code' && (
        <form onSubmit={inspect}>
          <label htmlFor="code">Activation code from your registrar</label>
          <input id="code" autoComplete="off" autoCapitalize="none" spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} required />
          <button type="submit" className="primary" disabled={busy}>Continue</button>
        </form>
      )}
      {info && step !== 'code' && (
        <p className="hint">
          {hospitalName(info.mspId)} · account for a {info.role}
        </p>
      )}
      {step === 'phrase' && (
        <section aria-labelledby="phrase-title">
          <h2 id="phrase-title">Your recovery phrase</h2>
          <p>Write these 12 words down, in order, and keep them somewhere safe. They are shown only now. Anyone with them can act as you; without them a lost device cannot be recovered.</p>
          <ol className="phrase" aria-label="Recovery phrase">
            {phrase.split(' ').map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ol>
          <button type="button" className="primary" onClick={() => setStep('confirm')}>I have written them down</button>
        </section>
      )}
      {step === 'confirm' && (
        <form onSubmit={confirm}>
          <h2>Check your phrase</h2>
          <p>Type these words from what you wrote down.</p>
          {asked.map((n) => (
            <div key={n}>
              <label htmlFor={`word-${n}`}>Word {n}</label>
              <input id={`word-${n}`} autoComplete="off" autoCapitalize="none" spellCheck={false} value={answers[n] ?? ''}
                onChange={(e) => setAnswers({ ...answers, [n]: e.target.value })} required />
            </div>
          ))}
          <button type="button" onClick={() => setStep('phrase')}>Show the phrase again</button>
          <button type="submit" className="primary">Check</button>
        </form>
      )}
      {step === 'passphrase' && (
        <form onSubmit={finish}>
          <h2>Protect this device</h2>
          <NewPassphrase onChange={(a, b) => setPass([a, b])} />
          <button type="submit" className="primary" disabled={busy}>Create my key</button>
        </form>
      )}
      {busy && <Busy label={step === 'code' ? 'Checking the code' : 'Creating your key and asking the hospital to certify it'} />}
      <ErrorNote error={error} />
    </Page>
  );
}
