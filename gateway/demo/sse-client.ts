/** A server-sent-events reader over fetch: what a browser's EventSource does, for the demo and the tests. */

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads server-sent events from a fetch response body until it ends or `stop` returns true. */
export async function readSse(body: ReadableStream<Uint8Array>, stop: (e: SseEvent) => boolean): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const e: SseEvent = { event: 'message', data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon === 0) continue;
          const [field, raw] = colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1)];
          const text = raw.startsWith(' ') ? raw.slice(1) : raw;
          if (field === 'id') e.id = text;
          else if (field === 'event') e.event = text;
          else if (field === 'data') {
            e.data = hasData ? `${e.data}\n${text}` : text;
            hasData = true;
          }
        }
        if (hasData && stop(e)) return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
