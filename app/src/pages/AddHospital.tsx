import { useState, type FormEvent } from 'react';
import { useDevice, useSession } from '../session';
import { Busy, ErrorNote, Page, hospitalName, useAction } from '../ui';

/**
 * "Add a hospital": the code a providing hospital's registrar gave the patient is redeemed at that
 * hospital's gateway with a key this device derives for that one relationship (a delegate,
 * docs/privacy.md §3), so her relationships there and elsewhere share no identifier on the ledger.
 */
export function AddHospital() {
  const device = useDevice();
  const { catalogue, setDevice } = useSession();
  const hospitals = catalogue?.hospitals ?? [];
  const [mspId, setMspId] = useState('');
  const [code, setCode] = useState('');
  const [added, setAdded] = useState<string | null>(null);
  const { busy, error, run, setError } = useAction();
  const held = device.identities().map((name) => device.vault.wallet.identity(name));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const where = hospitals.find((h) => h.mspId === mspId);
    if (!where) return setError({ code: 'NO_HOSPITAL' });
    setAdded(null);
    void run(async () => {
      await device.addHospital(where.gateway, code);
      setCode('');
      setAdded(where.mspId);
      setDevice(device.renewed());
    });
  };
  return (
    <Page title="Add a hospital">
      <p>
        When another hospital treats you, its registrar can give you a code. Your device makes a separate key for that hospital from your recovery
        phrase, so no one reading the ledger can tie what you do there to your other hospitals.
      </p>
      <h2>Hospitals on this device</h2>
      {device.unreached.length > 0 && (
        <p className="error" role="alert">
          {device.unreached.map(hospitalName).join(', ')} could not be reached while recovering: your relationship there may be missing. Recover again later.
        </p>
      )}
      <ul className="identities">
        {held.map((i) => (
          <li key={i.name}>
            {hospitalName(i.record.scope.mspId)}
            {i.record.scope.kind === 'delegate' ? ' — a separate identity for your relationship there' : ' — your home hospital'}
          </li>
        ))}
      </ul>
      <form onSubmit={submit}>
        <label htmlFor="add-hospital">Hospital that gave you the code</label>
        <select id="add-hospital" value={mspId} onChange={(e) => setMspId(e.target.value)} required>
          <option value="">Choose…</option>
          {hospitals.map((h) => (
            <option key={h.mspId} value={h.mspId}>
              {hospitalName(h.mspId)}
            </option>
          ))}
        </select>
        <label htmlFor="add-code">Code from that hospital’s registrar</label>
        <input id="add-code" autoComplete="off" spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} required />
        <button type="submit" className="primary" disabled={busy}>Add hospital</button>
      </form>
      {busy && <Busy label="Making a key for this hospital and asking it for a certificate" />}
      <ErrorNote error={error} />
      {added && (
        <p className="found" role="status">
          Added {hospitalName(added)}. Its relationship with you appears under Contracts.
        </p>
      )}
    </Page>
  );
}
