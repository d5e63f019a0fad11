import { useEffect, useState } from 'react';
import type { Actor, Device } from './device';

/**
 * The notifications of every identity the device holds, merged here: each identity's own stream at
 * its own hospital's gateway (server-sent events, with the session token in a header, so read with
 * fetch rather than EventSource). Each event bumps a counter pages reload on.
 */
export function useLive(device: Device | null): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!device) return;
    const abort = new AbortController();
    const connect = async (actor: Actor) => {
      let lastId = '';
      const url = new URL('/notifications/stream', actor.client.origin).href;
      while (!abort.signal.aborted) {
        try {
          const res = await fetch(url, {
            headers: { authorization: `Bearer ${actor.token}`, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
            signal: abort.signal,
          });
          if (!res.ok || !res.body) return; // session over: the page asks to unlock again on its next call
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const id = /^id: ?(.*)$/m.exec(block)?.[1];
              if (/^data:/m.test(block)) {
                if (id) lastId = id;
                setCount((c) => c + 1);
              }
            }
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    // A delegate whose gateway cannot be reached now is asked again with the next device (unlock, a hospital added).
    void Promise.allSettled(device.identities().map(async (name) => connect(await device.actor(name))));
    return () => abort.abort();
  }, [device]);
  return count;
}
