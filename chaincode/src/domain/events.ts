import type { ChaincodeEvent, EventName, Notification } from './types';

/** Event payload: pids, relationship ids and coded statuses only, so apps can notify without PHI. */
export function chaincodeEvent(type: EventName, notifications: Notification[]): ChaincodeEvent {
  return { type, notifications };
}

export function encodeEvent(event: ChaincodeEvent): Uint8Array {
  return Buffer.from(JSON.stringify(event), 'utf8');
}
