import { useEffect, useState, type ReactNode } from 'react';
import { NavLink, Navigate, Route, Routes, useNavigate } from 'react-router';
import { catalogue as loadCatalogue, type Catalogue, type Device } from './device';
import { useLive } from './live';
import { Session, useSession } from './session';
import { Activate } from './pages/Activate';
import { AddHospital } from './pages/AddHospital';
import { Contracts } from './pages/Contracts';
import { Graph } from './pages/Graph';
import { Records } from './pages/Records';
import { forgetSessionMarks } from './pages/records-data';
import { Recover } from './pages/Recover';
import { Shared } from './pages/Shared';
import { Unlock } from './pages/Unlock';
import { Welcome } from './pages/Welcome';
import { WhoLooked } from './pages/WhoLooked';
import { hospitalName } from './ui';


function RequireDevice({ children }: { children: ReactNode }) {
  const { device } = useSession();
  return device ? <>{children}</> : <Navigate to="/" replace />;
}

function Home() {
  const { device } = useSession();
  if (!device) return <Welcome />;
  return <Navigate to={device.role === 'patient' ? '/records' : '/shared'} replace />;
}

function Nav({ device, onLock }: { device: Device; onLock(): void }) {
  const patient = device.role === 'patient';
  return (
    <nav aria-label="Main">
      <ul>
        {patient && (
          <>
            <li><NavLink to="/records">Records</NavLink></li>
            <li><NavLink to="/contracts">Contracts</NavLink></li>
            <li><NavLink to="/graph">Graph</NavLink></li>
            <li><NavLink to="/who-looked">Who looked</NavLink></li>
            <li><NavLink to="/hospitals">Hospitals</NavLink></li>
          </>
        )}
        <li><NavLink to="/shared">Shared with me</NavLink></li>
        <li>
          <button type="button" className="link" onClick={onLock}>Lock</button>
        </li>
      </ul>
    </nav>
  );
}

export function App() {
  const [device, setDevice] = useState<Device | null>(null);
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const live = useLive(device);
  const navigate = useNavigate();
  useEffect(() => {
    loadCatalogue().then(setCatalogue, () => setCatalogue(null));
  }, []);
  const lock = () => {
    forgetSessionMarks();
    setDevice(null);
    navigate('/');
  };
  return (
    <Session.Provider value={{ device, catalogue, setDevice }}>
      <header className="top">
        <p className="brand">
          MedRec <span className="where">{catalogue ? hospitalName(catalogue.hospital.mspId) : ''}</span>
        </p>
        {device && <Nav device={device} onLock={lock} />}
      </header>
      <main id="main">
        <Routes>
          <Route path="/" element={<Home />} />
          <Route path="/activate" element={<Activate />} />
          <Route path="/unlock" element={<Unlock />} />
          <Route path="/recover" element={<Recover />} />
          <Route path="/records" element={<RequireDevice><Records live={live} /></RequireDevice>} />
          <Route path="/contracts" element={<RequireDevice><Contracts live={live} /></RequireDevice>} />
          <Route path="/graph" element={<RequireDevice><Graph live={live} /></RequireDevice>} />
          <Route path="/who-looked" element={<RequireDevice><WhoLooked /></RequireDevice>} />
          <Route path="/hospitals" element={<RequireDevice><AddHospital /></RequireDevice>} />
          <Route path="/shared" element={<RequireDevice><Shared live={live} /></RequireDevice>} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </main>
    </Session.Provider>
  );
}
