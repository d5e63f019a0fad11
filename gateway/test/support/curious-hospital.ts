/**
 * The curious member hospital of docs/privacy.md: it holds the whole channel (every block and the
 * world state, here the embedded ledger's SQLite file, as its peer would), its own gateway's
 * external-id index key, and what its own gateway knows of its own patients. Each method is one
 * attack; it answers what the attacker learnt, so a test can assert that it learnt nothing more than
 * docs/privacy.md admits. Reads only: the attacker does not transact.
 */
import { X509Certificate } from 'node:crypto';
import type { IndexKey } from '@medrec/client/protocol';
import { common } from '@hyperledger/fabric-protos';
import Database from 'better-sqlite3';
import { identityId, keyAttributes, OBJECT_TYPES } from '@medrec/chaincode/domain';
import { accessWrites } from '../../src/adapters/ledger/fabric/access-index.js';

const SEP = '\u0000';
const PEM = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

export interface LedgerCopy {
  /** every transaction's bytes, as the blocks hold them, with every base64 run inside decoded too */
  transactions: Buffer[];
  /** world state: key → value */
  state: Map<string, Buffer>;
  /** history rows' values (what every superseded version held) */
  history: Buffer[];
}

/** Everything a peer of the channel stores, read from the embedded ledger's file. */
export function copyLedger(file: string): LedgerCopy {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const transactions: Buffer[] = [];
    for (const { data } of db.prepare('SELECT data FROM blocks ORDER BY number').all() as { data: Buffer }[]) {
      transactions.push(data);
      // Transactions inside a block are JSON records whose proposals are base64: decode every run, as an attacker would.
      for (const run of data.toString('latin1').match(/[A-Za-z0-9+/]{40,}={0,2}/g) ?? []) transactions.push(Buffer.from(run, 'base64'));
    }
    const state = new Map<string, Buffer>();
    for (const row of db.prepare('SELECT key, value FROM state').all() as { key: Buffer; value: Buffer }[]) {
      state.set(row.key.toString('utf8'), row.value);
    }
    const history = (db.prepare('SELECT value FROM history WHERE value IS NOT NULL').all() as { value: Buffer }[]).map((r) => r.value);
    return { transactions, state, history };
  } finally {
    db.close();
  }
}

const objectType = (key: string) => key.slice(1, key.indexOf(SEP, 1));
const ofType = (copy: LedgerCopy, type: string) => [...copy.state.entries()].filter(([k]) => k[0] === SEP && objectType(k) === type);

export interface Knowledge {
  mspIds: string[];
  /** its own external-id index key (docs/privacy.md §2): the only index key a member holds */
  indexKey: IndexKey;
  externalIdKind: string;
  /** the participant ids of the patients this hospital treats (its relationships, its own accounts) */
  ownPatients: Map<string, string>;
  /** the hospital's own relationships' ids */
  ownRelationships: Set<string>;
}

export class CuriousHospital {
  constructor(
    readonly copy: LedgerCopy,
    readonly knows: Knowledge,
  ) {}

  /** The enrollment ids every signer's certificate names (CN), from every transaction of every block. */
  certificateNames(): Set<string> {
    const names = new Set<string>();
    for (const bytes of this.copy.transactions) {
      for (const pem of bytes.toString('latin1').match(PEM) ?? []) {
        const cn = /CN=([^\n,]+)/.exec(new X509Certificate(pem).subject)?.[1];
        if (cn) names.add(cn);
      }
    }
    return names;
  }

  /** (a) Which of the guessed usernames the ledger gives away, by any of three routes. */
  guessUsernames(candidates: readonly string[]): { inCertificates: string[]; inTransactions: string[]; byIdentityId: string[] } {
    const names = this.certificateNames();
    const everything = Buffer.concat([...this.copy.transactions, ...this.copy.state.values(), ...this.copy.history]).toString('latin1');
    const iids = new Set(ofType(this.copy, OBJECT_TYPES.identity).map(([k]) => keyAttributes(k)[0]));
    return {
      inCertificates: candidates.filter((c) => names.has(c)),
      // a whole word, so that "ann" is not found inside "joanna"
      inTransactions: candidates.filter((c) => new RegExp(`(^|[^A-Za-z0-9._@-])${c.replace(/[.]/g, '\\.')}($|[^A-Za-z0-9._@-])`).test(everything)),
      byIdentityId: candidates.filter((c) => this.knows.mspIds.some((m) => iids.has(identityId(m, c)))),
    };
  }

  /**
   * (a) The national ids behind the external-id index, by trying every candidate (a format's
   * enumeration, or the strongest guesser's dictionary holding the real ids) under every index key
   * the attacker holds: the ones found, with the participant each names.
   */
  bruteForceNationalIds(candidates: Iterable<string>): Map<string, string> {
    const index = new Map(ofType(this.copy, OBJECT_TYPES.external).map(([k, v]) => [keyAttributes(k)[0]!, (JSON.parse(v.toString()) as { participantId: string }).participantId]));
    const found = new Map<string, string>();
    for (const id of candidates) {
      const pid = index.get(this.knows.indexKey.ownHash(this.knows.externalIdKind, id));
      if (pid) found.set(id, pid);
    }
    return found;
  }

  /** Every relationship on the ledger: who is its patient (as the ledger names her) and at which hospital. */
  relationships(): { id: string; patient: string; mspId: string }[] {
    return ofType(this.copy, OBJECT_TYPES.relationship).map(([k, v]) => {
      const stored = JSON.parse(v.toString()) as { p: string; m: string };
      return { id: keyAttributes(k)[0]!, patient: stored.p, mspId: stored.m };
    });
  }

  /** (b) Ledger patient ids whose relationships are at two or more hospitals: a linked profile. */
  linkAcrossHospitals(): Map<string, Set<string>> {
    const byPatient = new Map<string, Set<string>>();
    for (const r of this.relationships()) byPatient.set(r.patient, (byPatient.get(r.patient) ?? new Set()).add(r.mspId));
    // The summary index ties relationships to a participant too, whatever the relationship record says.
    const rels = new Map(this.relationships().map((r) => [r.id, r.mspId]));
    for (const [k] of ofType(this.copy, OBJECT_TYPES.summary)) {
      const [pid, rel] = keyAttributes(k) as [string, string];
      const mspId = rels.get(rel);
      if (mspId) byPatient.set(pid, (byPatient.get(pid) ?? new Set()).add(mspId));
    }
    return new Map([...byPatient].filter(([, msps]) => msps.size > 1));
  }

  /**
   * What stays visible (docs/privacy.md, "Still visible" 2): the relationships at other hospitals tied
   * to `relationshipId` through a participant both name besides their patients (a viewer granted on
   * both: each grant writes the viewer's summary entry for the relationship; a provider's own entries
   * stay within its hospital), with the hospital of each.
   */
  tiedElsewhere(relationshipId: string): { id: string; mspId: string }[] {
    const rels = new Map(this.relationships().map((r) => [r.id, r]));
    const byParty = new Map<string, Set<string>>();
    for (const [k] of ofType(this.copy, OBJECT_TYPES.summary)) {
      const [pid, rel] = keyAttributes(k) as [string, string];
      if (rels.has(rel) && rels.get(rel)!.patient !== pid) byParty.set(pid, (byParty.get(pid) ?? new Set()).add(rel));
    }
    const tied = new Set<string>();
    for (const held of byParty.values()) if (held.has(relationshipId)) held.forEach((r) => tied.add(r));
    const here = rels.get(relationshipId)?.mspId;
    return [...tied].filter((id) => rels.get(id)!.mspId !== here).map((id) => ({ id, mspId: rels.get(id)!.mspId }));
  }

  /**
   * (c) By a national id it knows from its own chart, offline: the external-id index names her
   * participant only if her entry is under this hospital's own index key.
   */
  viaNationalId(nationalId: string): { registeredAt: string | null; relationships: string[] } {
    const hash = this.knows.indexKey.ownHash(this.knows.externalIdKind, nationalId);
    const ref = ofType(this.copy, OBJECT_TYPES.external).find(([k]) => keyAttributes(k)[0] === hash);
    if (!ref) return { registeredAt: null, relationships: [] };
    return this.participant((JSON.parse(ref[1].toString()) as { participantId: string }).participantId);
  }

  /** (c) A participant it has a pid for (from the index, or an online lookup): who registered it, and its relationships. */
  participant(pid: string): { registeredAt: string | null; relationships: string[] } {
    const participant = ofType(this.copy, OBJECT_TYPES.participant).find(([k]) => keyAttributes(k)[0] === pid);
    const registeredAt = participant ? (JSON.parse(participant[1].toString()) as { mspId: string }).mspId : null;
    return { registeredAt, relationships: this.relationships().filter((r) => r.patient === pid).map((r) => r.mspId) };
  }

  /** (c) For each patient it treats: the other hospitals the ledger says she has relationships with. */
  elsewhere(ownMspId: string): Map<string, string[]> {
    const linked = this.linkAcrossHospitals();
    const result = new Map<string, string[]>();
    for (const [name, pid] of this.knows.ownPatients) {
      const others = [...(linked.get(pid) ?? [])].filter((m) => m !== ownMspId);
      if (others.length > 0) result.set(name, others);
    }
    return result;
  }
}

/**
 * Everything a Fabric peer of the channel stores, from the blocks alone (as read from the peer by
 * qscc GetBlockByNumber): each block's bytes (every certificate and argument of every transaction),
 * and the world state and its history rebuilt from the write sets of the valid transactions on
 * `chaincode`, applied in order, exactly as the peer builds its state database.
 */
export function copyFabricBlocks(blocks: readonly Uint8Array[], chaincode: string): LedgerCopy {
  const transactions: Buffer[] = [];
  const state = new Map<string, Buffer>();
  const history: Buffer[] = [];
  for (const bytes of blocks) {
    transactions.push(Buffer.from(bytes));
    // The adapter's own reading of a block's valid write sets, for every key rather than the access records only.
    for (const [key, value] of accessWrites(common.Block.deserializeBinary(bytes), chaincode, () => true).writes) {
      if (value === null) state.delete(key);
      else {
        state.set(key, Buffer.from(value));
        history.push(Buffer.from(value));
      }
    }
  }
  return { transactions, state, history };
}
