/**
 * The committer's view while validating a block: committed state plus the writes of the block's
 * earlier valid transactions (a later transaction reading a key an earlier one wrote is stale).
 */
import type { LedgerStore, StateRow, StateUpdate } from './store.js';
import type { EndorserRecord, RangeRead, Version } from './records.js';
import { sameVersion } from './records.js';
import { policySatisfied } from './policy.js';

const VALIDATION_PARAMETER = 'VALIDATION_PARAMETER';
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export interface Entry {
  value: Buffer;
  version: Version;
  metadata: Record<string, string> | undefined;
}

export class BlockView {
  readonly updates = new Map<string, StateUpdate>();

  constructor(private readonly store: LedgerStore) {}

  get(key: string): Entry | undefined {
    const update = this.updates.get(key);
    if (update) return update.value === null ? undefined : (update as Entry);
    return this.store.get(key);
  }

  /** Re-executes a recorded range query and says whether it would now see other keys or versions. */
  private phantom(range: RangeRead): boolean {
    // Not exhausted: Fabric re-checks only up to the last key the chaincode read (inclusive).
    const end = range.exhausted ? range.end : range.reads[range.reads.length - 1]![0] + '\u0000';
    const inRange = (key: string) => byteOrder(key, range.start) >= 0 && (end === '' || byteOrder(key, end) < 0);
    const touched = [...this.updates.keys()].filter(inRange);
    const committed = this.store.range(range.start, end, range.reads.length + touched.length + 1);
    const merged = new Map<string, Version>(committed.map((row: StateRow) => [row.key, row.version]));
    for (const key of touched) {
      const update = this.updates.get(key)!;
      if (update.value === null) merged.delete(key);
      else merged.set(key, update.version);
    }
    const now = [...merged].sort(([a], [b]) => byteOrder(a, b));
    if (now.length !== range.reads.length) return true;
    return now.some(([key, version], i) => key !== range.reads[i]![0] || !sameVersion(version, range.reads[i]![1]));
  }

  /** Fabric's committer checks, in its order: endorsement policy of the keys written, then MVCC. */
  validate(record: EndorserRecord): string {
    const { rwset } = record;
    if (record.endorsingOrganizations) {
      const endorsers = new Set(record.endorsingOrganizations);
      const touched = new Set([...rwset.writes.map(([key]) => key), ...rwset.metadataWrites.map(([key]) => key)]);
      for (const key of touched) {
        const policy = this.get(key)?.metadata?.[VALIDATION_PARAMETER];
        if (policy && !policySatisfied(Buffer.from(policy, 'base64'), endorsers)) return 'ENDORSEMENT_POLICY_FAILURE';
      }
    }
    for (const [key, version] of rwset.reads) {
      if (!sameVersion(this.get(key)?.version ?? null, version)) return 'MVCC_READ_CONFLICT';
    }
    if (rwset.ranges.some((range) => this.phantom(range))) return 'PHANTOM_READ_CONFLICT';
    return 'VALID';
  }

  /** Applies a valid transaction's writes; returns the keys whose value changed (for history). */
  apply(record: EndorserRecord, version: Version): { key: string; value: Buffer | null }[] {
    const changed: { key: string; value: Buffer | null }[] = [];
    const metadataWrites = new Map(record.rwset.metadataWrites);
    for (const [key, b64] of record.rwset.writes) {
      const value = b64 === null ? null : Buffer.from(b64, 'base64');
      const metadata = value === null ? undefined : (metadataWrites.get(key) ?? this.get(key)?.metadata);
      this.updates.set(key, { key, value, metadata, version });
      changed.push({ key, value });
      metadataWrites.delete(key);
    }
    // A metadata-only write makes a new version of an existing key; on a missing key it has no effect.
    for (const [key, metadata] of metadataWrites) {
      const existing = this.get(key);
      if (existing) this.updates.set(key, { key, value: existing.value, metadata, version });
    }
    return changed;
  }
}
