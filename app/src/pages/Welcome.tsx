import { Link } from 'react-router';
import { hasWallet } from '../device';
import { Page, useLoad } from '../ui';

export function Welcome() {
  const stored = useLoad(hasWallet);
  return (
    <Page title="Your medical records, in your hands">
      <p>MedRec shows your records from every hospital in one place and lets you decide who else may see them. Your key stays on this device.</p>
      <ul className="choices">
        {stored.value && (
          <li>
            <Link className="button primary" to="/unlock">Unlock this device</Link>
          </li>
        )}
        <li>
          <Link className={`button${stored.value ? '' : ' primary'}`} to="/activate">Activate with a code from your hospital</Link>
        </li>
        <li>
          <Link className="button" to="/recover">Recover from your recovery phrase</Link>
        </li>
      </ul>
    </Page>
  );
}
