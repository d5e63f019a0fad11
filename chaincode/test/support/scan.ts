/** Every string inside JSON values (keys' values, array items, nested) that `allowed` does not accept. */
export function strangeStrings(values: readonly unknown[], allowed: (s: string) => boolean): string[] {
  const strange: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!allowed(v)) strange.push(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  values.forEach(walk);
  return strange;
}
