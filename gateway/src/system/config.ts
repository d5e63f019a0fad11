import { readFileSync } from 'node:fs';
import { LIMITS } from '@medrec/chaincode/domain';
import { resolve } from 'node:path';
import { DEFAULT_RATE_LIMITS } from '../http/plugins/limits.js';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleSettings } from '../services/accounts/throttle.js';
import { DEFAULT_CERTIFICATE_CACHE_SIZE } from '../services/gatekeeper/signed-request.js';
import { mappingFile } from '../services/records/hospitals.js';

/**
 * Gateway configuration: defaults, then an optional JSON file (`MEDREC_CONFIG`), then environment
 * variables. Secrets (JWT secrets) may be left out: the runtime then generates them
 * once and keeps them in the data directory, so a fresh clone starts with nothing to configure.
 */

import {
  checkConfig,
  ConfigError,
  FileConfigSchema,
  GatewayConfigSchema,
  type FileConfig,
  type GatewayConfig,
  type HospitalConfig,
} from './config-schema.js';

export { ConfigError, type FileConfig, type GatewayConfig, type HospitalConfig } from './config-schema.js';
export type { EhrConfig, FabricCaConfig, FabricPeerConfig } from './config-schema.js';

type Env = Record<string, string | undefined>;
type LedgerAdapter = GatewayConfig['ledger']['adapter'];
type IdentityAdapter = HospitalConfig['identity']['adapter'];
type EhrAdapter = HospitalConfig['ehr']['adapter'];

const LEDGERS: readonly LedgerAdapter[] = ['embedded', 'fabric'];
const IDENTITIES: readonly IdentityAdapter[] = ['embedded', 'fabric-ca'];
const EHRS: readonly EhrAdapter[] = ['sqlite', 'mssql'];

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${what} must be one of ${allowed.join(', ')} (got ${value})`);
  }
  return value as T;
}

function positiveInt(value: string | number, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${what} must be a non-negative integer`);
  return n;
}

/** The two demo hospitals that `npm start` runs on one embedded ledger. */
export function defaultHospitals(dataDir: string, host = '127.0.0.1', basePort = 3001, scheme: 'https' | 'http' = 'https'): HospitalConfig[] {
  return [1, 2].map((n) => {
    const port = basePort === 0 ? 0 : basePort + n - 1;
    return {
      mspId: `Hospital${n}MSP`,
      name: `Hospital ${n}`,
      host,
      port,
      publicUrl: `${scheme}://${host}:${port}`,
      dataDir: resolve(dataDir, `hospital${n}`),
      identity: { adapter: 'embedded' as const },
      ehr: {
        adapter: 'sqlite' as const,
        mappingFile: mappingFile(`hospital${n}`),
        demoSeed: `hospital${n}`,
      },
    };
  });
}

interface PeerEntry {
  endpoint: string;
  tlsCaCert: string;
  hostAlias?: string;
}

const peerConfig = (p: PeerEntry) => ({ peerEndpoint: p.endpoint, tlsRootCertFile: p.tlsCaCert, ...(p.hostAlias ? { hostAlias: p.hostAlias } : {}) });

interface NetworkFile {
  channel: string;
  chaincode: string;
  hospitals: {
    name: string;
    key: string;
    mspId: string;
    gatewayPort: number;
    /** The origin other hosts reach the gateway at (several hosts: by name). */
    gatewayUrl?: string;
    peer: PeerEntry;
    /** All of the hospital's peers, the gateway's failover order (peer first). */
    peers?: PeerEntry[];
    ca: { url: string; caName: string; tlsCaCert: string };
    /** The gateway's HTTPS server certificate and key, from the CA's TLS profile (network/hospital.sh). */
    gatewayTls?: { certificate: string; privateKey: string };
    users: Record<string, { certificate: string; privateKey: string }>;
  }[];
}

/**
 * The configuration for a native Fabric network started with `npm run fabric:up`, from the
 * network.json it writes: each hospital's peer, Fabric CA and provisioned staff identities.
 */
export function fabricNetworkConfig(file: string, dataDir: string, host = '127.0.0.1', demoSeeds: readonly string[] = [], tls = true): FileConfig {
  const network = JSON.parse(readFileSync(file, 'utf8')) as NetworkFile;
  return {
    ledger: { adapter: 'fabric', options: { channel: network.channel, chaincode: network.chaincode } },
    hospitals: network.hospitals.map((h) => ({
      mspId: h.mspId,
      name: h.name,
      host,
      port: h.gatewayPort,
      publicUrl: tls ? (h.gatewayUrl ?? `https://${host}:${h.gatewayPort}`) : `http://${new URL(h.gatewayUrl ?? `http://${host}`).hostname}:${h.gatewayPort}`,
      ...(tls && h.gatewayTls ? { tls: { certFile: h.gatewayTls.certificate, keyFile: h.gatewayTls.privateKey } } : {}),
      dataDir: resolve(dataDir, h.key),
      fabric: {
        ...peerConfig(h.peer),
        ...(h.peers && h.peers.length > 1 ? { failover: h.peers.filter((p) => p.endpoint !== h.peer.endpoint).map(peerConfig) } : {}),
      },
      identity: {
        adapter: 'fabric-ca' as const,
        options: {
          url: h.ca.url,
          caName: h.ca.caName,
          tlsRootCertFile: h.ca.tlsCaCert,
          staff: Object.fromEntries(
            Object.entries(h.users).map(([name, u]) => [name, { certificateFile: u.certificate, privateKeyFile: u.privateKey }]),
          ),
        },
      },
      ehr: {
        adapter: 'sqlite' as const,
        mappingFile: mappingFile(h.key),
        // Explicitly none for a hospital that is not a demo one, which brings its own EHR database
        // (ehr.sqlite in its dataDir): the default hospitals' demo seed must not fill in for it.
        demoSeed: demoSeeds.includes(h.key) ? h.key : undefined,
      },
    })),
  };
}

const THROTTLE_ENV: Record<keyof LoginThrottleSettings, string> = {
  maxFailures: 'MEDREC_LOGIN_MAX_FAILURES',
  lockoutSeconds: 'MEDREC_LOGIN_LOCKOUT',
  maxLockoutSeconds: 'MEDREC_LOGIN_LOCKOUT_MAX',
  ipMaxFailures: 'MEDREC_LOGIN_IP_MAX_FAILURES',
  ipWindowSeconds: 'MEDREC_LOGIN_IP_WINDOW',
};

function loginThrottle(env: Env, file: Partial<LoginThrottleSettings> = {}): LoginThrottleSettings {
  const settings = { ...DEFAULT_LOGIN_THROTTLE };
  for (const key of Object.keys(THROTTLE_ENV) as (keyof LoginThrottleSettings)[]) {
    const value = positiveInt(env[THROTTLE_ENV[key]] ?? file[key] ?? settings[key], `${THROTTLE_ENV[key]} (loginThrottle.${key})`);
    // Zero would lock everyone out (or nobody ever): refuse it rather than guess.
    if (value < 1) throw new ConfigError(`${THROTTLE_ENV[key]} (loginThrottle.${key}) must be at least 1`);
    settings[key] = value;
  }
  if (settings.maxLockoutSeconds < settings.lockoutSeconds) {
    throw new ConfigError('MEDREC_LOGIN_LOCKOUT_MAX must not be below MEDREC_LOGIN_LOCKOUT');
  }
  return settings;
}

/** A hospital may ask for shorter grants than the consortium allows, never longer (the chaincode would refuse). */
function grantMaxDays(value: string | number | undefined): number {
  if (value === undefined) return LIMITS.grantMaxDays;
  const days = positiveInt(value, 'MEDREC_GRANT_MAX_DAYS (grantMaxDays)');
  if (days < 1 || days > LIMITS.grantMaxDays) {
    throw new ConfigError(`MEDREC_GRANT_MAX_DAYS (grantMaxDays) must be 1..${LIMITS.grantMaxDays}, the consortium's maximum`);
  }
  return days;
}

export interface LoadOptions {
  /** The demo data sets the entry point can seed (by hospital key), for hospitals of a network.json. */
  demoSeeds?: readonly string[];
}

export function loadConfig(env: Env = process.env, overrides: FileConfig = {}, options: LoadOptions = {}): GatewayConfig {
  const file: FileConfig = env.MEDREC_CONFIG ? readConfigFile(env.MEDREC_CONFIG) : {};
  const dataDir = resolve(env.MEDREC_DATA_DIR ?? overrides.dataDir ?? file.dataDir ?? 'data');
  const tls = (env.MEDREC_TLS ?? String(overrides.tls ?? file.tls ?? true)) !== 'false';
  const network = env.MEDREC_FABRIC_NETWORK
    ? fabricNetworkConfig(env.MEDREC_FABRIC_NETWORK, dataDir, env.MEDREC_HOST ?? '127.0.0.1', options.demoSeeds, tls)
    : {};
  const merged: FileConfig = { ...network, ...file, ...overrides };
  const basePort = positiveInt(env.MEDREC_PORT ?? 3001, 'MEDREC_PORT');
  const host = env.MEDREC_HOST ?? '127.0.0.1';
  const scheme = tls ? 'https' : 'http';
  const defaults = defaultHospitals(dataDir, host, basePort, scheme);
  const hospitals = (merged.hospitals ?? defaults).map((h, i) => {
    const base = defaults[i] ?? defaults[0]!;
    const port = h.port ?? base.port;
    const hospital: HospitalConfig = {
      ...base,
      ...h,
      port,
      publicUrl: h.publicUrl ?? `${scheme}://${h.host ?? base.host}:${port}`,
      dataDir: resolve(h.dataDir ?? base.dataDir),
      identity: h.identity ?? base.identity,
      ehr: { ...base.ehr, ...h.ehr },
    } as HospitalConfig;
    // Its endpoint goes on the ledger for every relationship; with TLS on, other gateways refuse a plain one.
    if (tls && /^http:/i.test(hospital.publicUrl)) {
      throw new ConfigError(`${hospital.mspId} publicUrl must be https:// while TLS is on (MEDREC_TLS=false serves plain HTTP)`);
    }
    oneOf(hospital.identity.adapter, IDENTITIES, `${hospital.mspId} identity adapter`);
    oneOf(hospital.ehr.adapter, EHRS, `${hospital.mspId} ehr adapter`);
    if (hospital.identity.adapter === 'fabric-ca' && !hospital.identity.options) {
      throw new ConfigError(`${hospital.mspId}: identity.options (url, caName, tlsRootCertFile) are required for fabric-ca`);
    }
    const secret = env[`MEDREC_JWT_SECRET_${hospital.mspId.toUpperCase()}`];
    if (secret) hospital.jwtSecret = secret;
    if (hospital.jwtSecret !== undefined && hospital.jwtSecret.length < 32) {
      throw new ConfigError(`${hospital.mspId} jwtSecret must be at least 32 characters`);
    }
    return hospital;
  });
  if (new Set(hospitals.map((h) => h.mspId)).size !== hospitals.length) {
    throw new ConfigError('hospital mspIds must be unique');
  }
  const ledgerAdapter = oneOf(env.MEDREC_LEDGER ?? merged.ledger?.adapter ?? 'embedded', LEDGERS, 'ledger adapter');
  return checkConfig(GatewayConfigSchema, {
    dataDir,
    ledger: { ...merged.ledger, adapter: ledgerAdapter },
    sessionTtlSeconds: positiveInt(env.MEDREC_SESSION_TTL ?? merged.sessionTtlSeconds ?? 900, 'session TTL'),
    activationTtlSeconds: positiveInt(env.MEDREC_ACTIVATION_TTL ?? merged.activationTtlSeconds ?? 72 * 3600, 'activation TTL'),
    grantMaxDays: grantMaxDays(env.MEDREC_GRANT_MAX_DAYS ?? merged.grantMaxDays),
    changePollSeconds: positiveInt(env.MEDREC_CHANGE_POLL ?? merged.changePollSeconds ?? 30, 'change poll interval'),
    bodyLimitBytes: positiveInt(env.MEDREC_BODY_LIMIT ?? merged.bodyLimitBytes ?? 64 * 1024, 'body limit'),
    certificateCacheSize: positiveInt(env.MEDREC_CERTIFICATE_CACHE ?? merged.certificateCacheSize ?? DEFAULT_CERTIFICATE_CACHE_SIZE, 'certificate cache size'),
    logLevel: env.MEDREC_LOG_LEVEL ?? merged.logLevel ?? 'info',
    loginThrottle: loginThrottle(env, merged.loginThrottle),
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...merged.rateLimits },
    seedDemo: (env.MEDREC_SEED_DEMO ?? String(merged.seedDemo ?? true)) !== 'false',
    tls,
    hospitals,
  }, 'the merged configuration (defaults, network.json, MEDREC_CONFIG file, environment)');
}

/** A MEDREC_CONFIG file, checked as written: a bad file stops the start naming the file and the paths. */
function readConfigFile(file: string): FileConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the configuration file ${file}: ${(err as Error).message}`);
  }
  return checkConfig(FileConfigSchema, json, file);
}
