import { useEffect, useRef, useState, type ReactNode } from 'react';
import { sentenceFor } from './problems';

/** A refusal as a plain sentence, announced to screen readers. */
export function ErrorNote({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error" role="alert">
      {sentenceFor(error)}
    </p>
  );
}

/** Hospitals that did not answer for one of the device's identities: what is there is missing from the page. */
export function UnreachedNote({ unreached }: { unreached: readonly { mspId: string; error: unknown }[] | undefined }) {
  return (
    <>
      {(unreached ?? []).map(({ mspId, error }) => {
        const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
        const down = code === 'GATEWAY_UNREACHABLE' || code === 'GATEWAY_TIMEOUT';
        return (
          <p key={mspId} className="error" role="alert">
            {down ? `${hospitalName(mspId)} cannot be reached right now: what you have there is not shown. Try again later.` : `${hospitalName(mspId)}: ${sentenceFor(error)}`}
          </p>
        );
      })}
    </>
  );
}

export function Busy({ label }: { label: string }) {
  return (
    <p className="busy" role="status" aria-live="polite">
      {label}…
    </p>
  );
}

/** Runs an action, keeping its pending state and its refusal. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

/** Loads on mount and on `deps` change; `reload` re-runs it. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    setError(null);
    load().then(
      (v) => alive.current && setValue(v),
      (e: unknown) => alive.current && setError(e),
    );
    return () => {
      alive.current = false;
    };
  }, [...deps, tick]);
  return { value, error, reload: () => setTick((t) => t + 1) };
}

export function Page({ title, children }: { title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · MedRec`;
  }, [title]);
  return (
    <>
      <h1>{title}</h1>
      {children}
    </>
  );
}

const HOSPITAL_NAMES: Record<string, string> = {};
export const hospitalName = (mspId: string) => HOSPITAL_NAMES[mspId] ?? mspId.replace(/MSP$/, '').replace(/(\D)(\d)/, '$1 $2');
export const short = (id: string) => `${id.slice(0, 8)}…`;
export const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
