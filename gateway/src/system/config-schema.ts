/**
 * The configuration's shape as TypeBox schemas: the single source of its validation and its types.
 * A file (MEDREC_CONFIG) is checked as written, before anything is merged; the merged result of
 * defaults, network.json, file and environment is checked again as a whole.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { MspId } from '../http/schemas.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Count = Type.Integer({ minimum: 0 });
const Positive = Type.Integer({ minimum: 1 });
const Secret = Type.String({ minLength: 32 });

export const LoginThrottleSchema = Type.Object(
  {
    maxFailures: Positive,
    lockoutSeconds: Positive,
    maxLockoutSeconds: Positive,
    ipMaxFailures: Positive,
    ipWindowSeconds: Positive,
  },
  { additionalProperties: false },
);

const LimitSchema = Type.Object({ max: Positive, windowSeconds: Positive }, { additionalProperties: false });
const LIMIT_NAMES = ['unauthenticated', 'login', 'activation', 'resolve', 'gatekeeperUnverified', 'gatekeeperCertificate', 'gatekeeperAudit', 'externalIdLookup'] as const;
export const RateLimitsSchema = Type.Object(Object.fromEntries(LIMIT_NAMES.map((n) => [n, LimitSchema])) as Record<(typeof LIMIT_NAMES)[number], typeof LimitSchema>, {
  additionalProperties: false,
});

const PeerFields = {
  /** host:port of the peer's Gateway service */
  peerEndpoint: Type.String({ minLength: 1 }),
  tlsRootCertFile: Type.String({ minLength: 1 }),
  /** TLS server name when it differs from the endpoint's host */
  hostAlias: Type.Optional(Type.String()),
};
/** The hospital's peer, and its other peers the gateway fails over to (the hospital's own only). */
export const FabricPeerSchema = Type.Object(
  { ...PeerFields, failover: Type.Optional(Type.Array(Type.Object(PeerFields, { additionalProperties: false }), { maxItems: 8 })) },
  { additionalProperties: false },
);

const StaffFiles = Type.Object({ certificateFile: Type.String(), privateKeyFile: Type.String() }, { additionalProperties: false });
export const FabricCaSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://' }),
    caName: Type.String({ minLength: 1 }),
    tlsRootCertFile: Type.String({ minLength: 1 }),
    /** Enrolled identities by name: `ca-admin` (registers registrars and auditors), `registrar`, `records-service`. */
    staff: Type.Optional(Type.Record(Type.String(), StaffFiles)),
  },
  { additionalProperties: false },
);

export const MssqlSchema = Type.Object(
  {
    url: Type.String({ minLength: 1 }),
    database: Type.Optional(Type.String()),
    poolMax: Type.Optional(Positive),
    connectionTimeoutMs: Type.Optional(Positive),
    requestTimeoutMs: Type.Optional(Positive),
  },
  { additionalProperties: false },
);

export const EhrSchema = Type.Object(
  {
    adapter: Type.Union([Type.Literal('sqlite'), Type.Literal('mssql')]),
    /** Which SQL runs for each category and how rows become FHIR (the hospital's own mapping file). */
    mappingFile: Type.String({ minLength: 1 }),
    /** sqlite: the database file (default dataDir/ehr.sqlite). */
    sqliteFile: Type.Optional(Type.String()),
    /** Demo data set to seed an absent SQLite database with (a demo hospital's key). */
    demoSeed: Type.Optional(Type.String()),
    mssql: Type.Optional(MssqlSchema),
  },
  { additionalProperties: false },
);

export const HospitalSchema = Type.Object(
  {
    mspId: MspId,
    /** Display name; also the certificate attribute `hospital`. */
    name: Type.String({ minLength: 1 }),
    host: Type.String({ minLength: 1 }),
    port: Port,
    /** Origin other gateways use to reach this one (the relationship endpoint / gatekeeper). */
    publicUrl: Type.String({ pattern: '^https?://' }),
    /** Holds gateway.db, the CA state and the SQLite EHR of this hospital. */
    dataDir: Type.String({ minLength: 1 }),
    /** HS256 session secret; generated and kept in dataDir when absent. */
    jwtSecret: Type.Optional(Secret),
    identity: Type.Union([
      Type.Object({ adapter: Type.Literal('embedded') }, { additionalProperties: false }),
      Type.Object({ adapter: Type.Literal('fabric-ca'), options: FabricCaSchema }, { additionalProperties: false }),
    ]),
    ehr: EhrSchema,
    /** ledger `fabric`: this hospital's peer (its Gateway service). */
    fabric: Type.Optional(FabricPeerSchema),
    /**
     * The gateway's HTTPS server certificate (PEM, chaining to a TLS root of this hospital's MSP, e.g.
     * issued by Fabric CA's TLS profile) and its key. Absent: the hospital's embedded TLS CA issues one.
     */
    tls: Type.Optional(Type.Object({ certFile: Type.String({ minLength: 1 }), keyFile: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const GatewayConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1 }),
    ledger: Type.Object(
      {
        adapter: Type.Union([Type.Literal('embedded'), Type.Literal('fabric')]),
        options: Type.Optional(
          Type.Object(
            {
              channel: Type.Optional(Type.String()),
              chaincode: Type.Optional(Type.String()),
              /** fabric: each call's bound (ms); a submit waits at most endorse + submit + commitStatus. */
              timeouts: Type.Optional(
                Type.Object(
                  Object.fromEntries(['evaluate', 'endorse', 'submit', 'commitStatus'].map((k) => [k, Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 }))])),
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    sessionTtlSeconds: Count,
    /** How long a registrar's activation code may be redeemed. */
    activationTtlSeconds: Positive,
    /** Longest grant this gateway asks the ledger for, in days (at most the consortium's, LIMITS.grantMaxDays). */
    grantMaxDays: Positive,
    /** How often each gateway's pointer watcher reads its EHR's changes (services/records/watcher.ts). */
    changePollSeconds: Positive,
    bodyLimitBytes: Count,
    /** Certificates whose chain the gatekeeper keeps verified (services/gatekeeper/signed-request.ts): size it for the requesters. */
    certificateCacheSize: Positive,
    logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))),
    /** Failed-login limits of each gateway (services/accounts/throttle.ts). */
    loginThrottle: LoginThrottleSchema,
    /** Request rate limits of each gateway (http/plugins/limits.ts). */
    rateLimits: RateLimitsSchema,
    /** Create demo users on first start (when the entry point hands in the demo). */
    seedDemo: Type.Boolean(),
    /**
     * Gateways serve HTTPS (system/tls.ts) and check other hospitals' gatekeepers against the
     * channel members' TLS roots. false (MEDREC_TLS=false): plain HTTP, for a gateway behind a
     * TLS-terminating proxy only.
     */
    tls: Type.Boolean(),
    hospitals: Type.Array(HospitalSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

/** A MEDREC_CONFIG file: any part of the configuration; each hospital entry may be partial too. */
export const FileConfigSchema = Type.Partial(
  Type.Object({
    ...GatewayConfigSchema.properties,
    loginThrottle: Type.Partial(LoginThrottleSchema),
    rateLimits: Type.Partial(RateLimitsSchema),
    hospitals: Type.Array(Type.Partial(HospitalSchema)),
  }),
  { additionalProperties: false },
);

export type GatewayConfig = Static<typeof GatewayConfigSchema>;
export type HospitalConfig = Static<typeof HospitalSchema>;
export type FabricPeerConfig = Static<typeof FabricPeerSchema>;
export type FabricCaConfig = Static<typeof FabricCaSchema>;
export type EhrConfig = Static<typeof EhrSchema>;
export type FileConfig = Static<typeof FileConfigSchema>;

/** Checks `value` against `schema`; a ConfigError names the source and every offending path. */
export function checkConfig<T extends TSchema>(schema: T, value: unknown, source: string): Static<T> {
  if (Value.Check(schema, value)) return value;
  const problems = [...Value.Errors(schema, value)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`);
  throw new ConfigError(`invalid configuration in ${source}:\n  - ${[...new Set(problems)].join('\n  - ')}`);
}
