import mssql from 'mssql';

export interface MssqlTarget {
  /**
   * `mssql://user:password@host:1433/database?encrypt=true&trustServerCertificate=false`
   * or an ADO.NET string `Server=host,1433;Database=…;User Id=…;Password=…;Encrypt=true`.
   */
  url: string;
  /** overrides the URL's database, so several demo hospitals can share one server */
  database?: string;
  poolMax?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const MSSQL_DEFAULTS = { poolMax: 10, connectionTimeoutMs: 5000, requestTimeoutMs: 10000 } as const;

/** The mssql pool configuration for a target: explicit pool limits and timeouts, never the driver's defaults. */
export function poolConfig(target: MssqlTarget): mssql.config {
  const base = /^(mssql|sqlserver):\/\//i.test(target.url) ? fromUrl(target.url) : fromAdo(target.url);
  return {
    ...base,
    ...(target.database ? { database: target.database } : {}),
    connectionTimeout: target.connectionTimeoutMs ?? MSSQL_DEFAULTS.connectionTimeoutMs,
    requestTimeout: target.requestTimeoutMs ?? MSSQL_DEFAULTS.requestTimeoutMs,
    pool: { max: target.poolMax ?? MSSQL_DEFAULTS.poolMax, min: 0, idleTimeoutMillis: 30000 },
    options: { ...base.options, appName: 'medrec-gatekeeper' },
  };
}

function fromUrl(text: string): mssql.config {
  const url = new URL(text);
  const flag = (name: string, fallback: boolean) => {
    const v = url.searchParams.get(name);
    return v === null ? fallback : v === 'true' || v === '1';
  };
  const instanceName = url.searchParams.get('instanceName') ?? undefined;
  return {
    server: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined,
    options: {
      encrypt: flag('encrypt', true),
      trustServerCertificate: flag('trustServerCertificate', false),
      ...(instanceName ? { instanceName } : {}),
    },
  } as mssql.config;
}

function fromAdo(text: string): mssql.config {
  return mssql.ConnectionPool.parseConnectionString(text);
}
