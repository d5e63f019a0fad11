import type { RecordCheck } from '@medrec/client';

/** The device's own hash check against the ledger pointer. */
export function Badge({ check, projected }: { check: RecordCheck; projected?: boolean }) {
  if (check.matches === true) return <span className="badge ok" title="The records hash to the value on the ledger, checked on this device">Verified</span>;
  if (check.matches === false) return <span className="badge bad" title="The records do not hash to the value on the ledger: they changed since the hospital recorded them">Mismatch</span>;
  return <span className="badge none" title={projected ? 'Only some fields were shared, so the whole-record hash cannot be checked' : 'No ledger hash to check against'}>{projected ? 'Partial — not hash-checked' : 'Not checked'}</span>;
}
