/** How the demo schemas store time: ISO-8601 UTC (hospital1) or zone-less legacy text in UTC (hospital2). */
export const isoUtc = (d: Date): string => d.toISOString().replace('.000Z', 'Z');
export const legacyUtc = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');
export const day = (d: Date): string => d.toISOString().slice(0, 10);
