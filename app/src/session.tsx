import { createContext, useContext } from 'react';
import type { Catalogue, Device } from './device';

export interface SessionState {
  device: Device | null;
  catalogue: Catalogue | null;
  setDevice(device: Device | null): void;
}

export const Session = createContext<SessionState>({ device: null, catalogue: null, setDevice: () => undefined });
export const useSession = () => useContext(Session);

/** The unlocked device; pages behind <RequireDevice> may rely on it. */
export function useDevice(): Device {
  const { device } = useSession();
  if (!device) throw new Error('no unlocked device');
  return device;
}
