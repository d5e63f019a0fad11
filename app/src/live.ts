import { useEffect, useState } from 'react';
import type { Device } from './device';

/**
 * The gateway's notification stream (server-sent events, with the session token in a header, so
 * read with fetch rather than EventSource). Each event bumps a counter pages reload on.
 */
export function useLive(device: Device | null): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!device) return;
    const abort = new AbortController();
    let lastId = '';
    const connect = async () => {
      while (!abort.signal.aborted) {
        try {
          const res = await fetch('/notifications/stream', {
            headers: { authorization: `Bearer ${device.token}`, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
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
    void connect();
    return () => abort.abort();
  }, [device]);
  return count;
}
