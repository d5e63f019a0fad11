type Node = Record<string, unknown> | unknown[];

/** Sets `value` at a mapping path such as `code.coding[0].code`, creating objects and arrays on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const steps = parsePath(path);
  let node: Node = target;
  steps.forEach((step, i) => {
    const last = i === steps.length - 1;
    const next = steps[i + 1];
    const slot = node as Record<string | number, unknown>;
    if (last) {
      slot[step] = value;
      return;
    }
    if (slot[step] === undefined) slot[step] = typeof next === 'number' ? [] : {};
    node = slot[step] as Node;
  });
}

export function parsePath(path: string): (string | number)[] {
  return path.split('.').flatMap((part) => {
    const m = /^([A-Za-z0-9]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m) throw new Error(`bad FHIR path ${path}`);
    return m[2] === undefined ? [m[1]!] : [m[1]!, Number(m[2])];
  });
}
