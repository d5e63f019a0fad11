/**
 * Every world-state key the chaincode reads or writes. Composite keys only (the network runs
 * LevelDB, no rich queries); the format is Fabric's own createCompositeKey, so the keys built here
 * are exactly the ones `stub.createCompositeKey` would build.
 */
const SEP = '\u0000';

export interface KeyPrefix {
  objectType: string;
  attributes: string[];
}

/** Short: every key is written into each block that touches it, and the chaincode's namespace already says medrec. */
export const OBJECT_TYPES = {
  identity: 'iid',
  participant: 'pid',
  external: 'ext',
  relationship: 'rel',
  pointer: 'ptr',
  grant: 'grant',
  summary: 'sum',
  patientLink: 'plink',
  anchor: 'anchor',
  anchorHead: 'anchorHead',
} as const;

export function compositeKey(objectType: string, attributes: string[]): string {
  if (objectType.length === 0) throw new Error('empty object type');
  for (const part of [objectType, ...attributes]) {
    if (part.includes(SEP) || part.includes('\u{10FFFF}')) throw new Error('key part holds a reserved character');
  }
  return SEP + objectType + SEP + attributes.map((a) => a + SEP).join('');
}

/** The attributes of a composite key (the inverse of compositeKey, without the object type). */
export function keyAttributes(key: string): string[] {
  return key.split(SEP).slice(2, -1);
}

export const keys = {
  identity: (iid: string) => compositeKey(OBJECT_TYPES.identity, [iid]),
  participant: (pid: string) => compositeKey(OBJECT_TYPES.participant, [pid]),
  external: (externalIdHash: string) => compositeKey(OBJECT_TYPES.external, [externalIdHash]),
  relationship: (relId: string) => compositeKey(OBJECT_TYPES.relationship, [relId]),
  pointer: (relId: string, category: string) => compositeKey(OBJECT_TYPES.pointer, [relId, category]),
  grant: (relId: string, viewerId: string) => compositeKey(OBJECT_TYPES.grant, [relId, viewerId]),
  summary: (pid: string, relId: string) => compositeKey(OBJECT_TYPES.summary, [pid, relId]),
  /**
   * The patient's one open relationship with a provider organisation. Every create reads and writes
   * it, so two concurrent creates for the same patient at the same hospital conflict at commit.
   */
  patientLink: (pid: string, providerMspId: string) => compositeKey(OBJECT_TYPES.patientLink, [pid, providerMspId]),
  /** zero-padded so that the partial-key scan returns anchors in sequence order */
  anchor: (mspId: string, toSeq: number) =>
    compositeKey(OBJECT_TYPES.anchor, [mspId, String(toSeq).padStart(16, '0')]),
  anchorHead: (mspId: string) => compositeKey(OBJECT_TYPES.anchorHead, [mspId]),
};

export const prefixes = {
  pointersOf: (relId: string): KeyPrefix => ({ objectType: OBJECT_TYPES.pointer, attributes: [relId] }),
  grantsOf: (relId: string): KeyPrefix => ({ objectType: OBJECT_TYPES.grant, attributes: [relId] }),
  summaryOf: (pid: string): KeyPrefix => ({ objectType: OBJECT_TYPES.summary, attributes: [pid] }),
  anchorsOf: (mspId: string): KeyPrefix => ({ objectType: OBJECT_TYPES.anchor, attributes: [mspId] }),
};
