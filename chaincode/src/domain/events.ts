import type { ChaincodeEvent, Notification } from './types';

/**
 * Event payload: pids, relationship ids and coded statuses only, so apps can notify without PHI.
 * The change's name is the Fabric event name, so the payload does not repeat it.
 */
export function chaincodeEvent(notifications: Notification[]): ChaincodeEvent {
  return { notifications };
}

export function encodeEvent(event: ChaincodeEvent): Uint8Array {
  return Buffer.from(JSON.stringify(event), 'utf8');
}
