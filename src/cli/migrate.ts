import { MIGRATIONS } from '../postgres/migrations.js';
import { PostgresPaymentStore } from '../postgres/store.js';
import { parseFlags } from './args.js';
import {
  CLI_NAME,
  type CliContext,
  describeError,
  type ErrorReport,
  EXIT_CODES,
  EXIT_CODES_HELP,
  type ExitCode,
  lineWriter,
  printJson,
} from './context.js';
import { describeEnvFile, type EnvFileReport, loadEnvFile } from './env-file.js';

/** @internal The command that installs the driver `daraja migrate` needs. */
export const PG_INSTALL_HINT = 'npm install pg';

/** @internal How long `daraja migrate` waits for a connection, in ms. */
export const MIGRATE_CONNECT_TIMEOUT_MS = 10_000;

/** @internal The help of `daraja migrate`. */
export const MIGRATE_USAGE = `Usage: ${CLI_NAME} migrate [options]

Apply the PostgreSQL schema of PostgresPaymentStore (daraja-sdk/postgres) to a database: the tables
daraja_payments, daraja_callback_events and daraja_schema_migrations. Only what is missing is applied,
each migration in one transaction under an advisory lock, so it is safe to run again and from several
machines at once. The password in the URL is never printed.

Needs the PostgreSQL driver pg, which daraja-sdk does not install: ${PG_INSTALL_HINT}

DATABASE_URL comes from the environment, or from ./.env when it exists (or --env-file <path>);
a variable already set in the environment wins over the file.

Options:
  --database-url <url>  postgres://user:password@host:5432/database (default: DATABASE_URL).
                        Add ?sslmode=require for servers that need TLS.
  --env-file <path>     Read this environment file instead of ./.env (an error if it is missing)
  --json                Print one JSON object on stdout instead of text
  -h, --help            Show this help

${EXIT_CODES_HELP}`;

/** @internal One applied migration. */
export interface AppliedMigration {
  /** Its version. */
  version: number;
  /** What it does. */
  name: string;
}

/** @internal The JSON printed by `daraja migrate --json`. */
export interface MigrateReport {
  /** Always `migrate`. */
  command: 'migrate';
  /** True when the exit code is 0. */
  ok: boolean;
  /** The exit code (see `EXIT_CODES`). */
  exitCode: ExitCode;
  /** The environment file read (path and counts, never values); absent when there was none. */
  envFile?: EnvFileReport;
  /** The database URL with its password replaced by `***`; absent when none was given. */
  database?: string | undefined;
  /** The migrations this run applied, oldest first. */
  applied: AppliedMigration[];
  /** The versions now in `daraja_schema_migrations`. */
  schemaVersions: number[];
  /** True when nothing needed applying. */
  upToDate: boolean;
  /** What went wrong. */
  error?: ErrorReport;
  /** What to do about it. */
  fix?: string;
}

interface PgClientLike {
  connect(): Promise<unknown>;
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface PgModuleLike {
  Client: new (config: { connectionString: string; connectionTimeoutMillis: number }) => PgClientLike;
}

/** @internal Parse `daraja migrate`'s arguments. @throws {@link UsageError} */
export function parseMigrateArgs(argv: readonly string[]): {
  help: boolean;
  json: boolean;
  databaseUrl: string | undefined;
  envFile: string | undefined;
} {
  const flags = parseFlags(argv, { 'database-url': 'string', 'env-file': 'string', json: 'boolean' });
  return {
    help: flags.help,
    json: flags.boolean('json'),
    databaseUrl: flags.string('database-url'),
    envFile: flags.string('env-file'),
  };
}

/**
 * @internal
 * A database URL safe to print: the password (in the URL or a `password` parameter) replaced by `***`.
 * A value that is not a URL is not shown at all, since it could be anything.
 */
export function maskDatabaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    if (url.searchParams.has('password')) url.searchParams.set('password', '***');
    return url.toString().replace(/%2A%2A%2A/g, '***');
  } catch {
    return '(not a URL)';
  }
}

/** Every form of the URL's password, to scrub from error messages. */
function passwordsIn(value: string): string[] {
  try {
    const url = new URL(value);
    const out = [url.password, url.searchParams.get('password') ?? ''];
    try {
      out.push(decodeURIComponent(url.password));
    } catch {
      // not decodable: the raw form is enough
    }
    return out.filter((p) => p.length > 0);
  } catch {
    return [];
  }
}

function isMissingModule(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    /['"]pg['"]/.test(String(e.message ?? ''))
  );
}

function fixForDatabaseError(report: ErrorReport, url: URL): string {
  const where = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  switch (report.code) {
    case 'ECONNREFUSED':
      return `Nothing accepts connections at ${where}: start PostgreSQL, or fix the host and port.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host ${url.hostname} does not resolve: fix the host name.`;
    case 'ETIMEDOUT':
      return `No answer from ${where}: check the host, port and firewall.`;
    case '28P01':
    case '28000':
      return 'The server refused this user or password: check both in the URL.';
    case '3D000':
      return 'The database does not exist: create it (createdb, or CREATE DATABASE) or fix its name in the URL.';
    case '42501':
      return "The user may not create tables here: grant it CREATE on the schema, or migrate as the schema's owner.";
    default:
      if (/timeout/i.test(report.message))
        return `No connection within ${MIGRATE_CONNECT_TIMEOUT_MS / 1000} s: check the host, port and firewall.`;
      if (/ssl|tls|certificate/i.test(report.message))
        return 'A TLS problem: check sslmode in the URL and the server certificate.';
      return 'Check the URL and that the server is reachable.';
  }
}

/** Why a command stopped: its exit code, the error and the fix. */
interface Stop {
  exitCode: ExitCode;
  error: ErrorReport;
  fix: string;
}

/**
 * The database URL to use, and its form safe to print (also set as `report.database` when it is a URL);
 * or why there is none.
 */
function readDatabaseUrl(
  given: string | undefined,
  report: MigrateReport,
): Stop | { raw: string; shown: string; url: URL } {
  const raw = given?.trim();
  if (raw === undefined || raw === '') {
    return {
      exitCode: EXIT_CODES.config,
      error: {
        class: 'ConfigurationError',
        message: 'no database URL: DATABASE_URL is not set and --database-url was not given.',
      },
      fix: 'Set DATABASE_URL=postgres://user:password@host:5432/database, or pass --database-url.',
    };
  }
  const shown = maskDatabaseUrl(raw);
  if (shown !== '(not a URL)') report.database = shown;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return {
      exitCode: EXIT_CODES.config,
      error: { class: 'ConfigurationError', message: `the database URL ${shown} is not a postgres:// URL.` },
      fix: 'Use postgres://user:password@host:5432/database (postgresql:// works too).',
    };
  }
  return { raw, shown, url };
}

/** Load the `pg` module, or say why it cannot be used. */
async function loadPg(context: CliContext, scrub: (text: string) => string): Promise<PgModuleLike | Stop> {
  try {
    const mod = (await (context.loadPg ?? (() => import('pg')))()) as { default?: unknown };
    const pg = (mod.default ?? mod) as PgModuleLike;
    if (typeof pg.Client !== 'function') throw new TypeError('the pg module has no Client');
    return pg;
  } catch (error) {
    if (isMissingModule(error)) {
      return {
        exitCode: EXIT_CODES.missingDependency,
        error: {
          class: 'MissingDependencyError',
          message: 'daraja migrate needs the PostgreSQL driver "pg", which is not installed.',
        },
        fix: `Install it next to daraja-sdk: ${PG_INSTALL_HINT} (or run it once with: npx -p daraja-sdk -p pg daraja-sdk migrate)`,
      };
    }
    return {
      exitCode: EXIT_CODES.failed,
      error: describeError(error, scrub),
      fix: 'Reinstall pg: npm install pg',
    };
  }
}

/** Connect, apply the missing migrations and read the schema versions into `report`; or say why not. */
async function applyMigrations(
  pg: PgModuleLike,
  target: { raw: string; url: URL },
  scrub: (text: string) => string,
  report: MigrateReport,
): Promise<Stop | undefined> {
  const client = new pg.Client({
    connectionString: target.raw,
    connectionTimeoutMillis: MIGRATE_CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {}); // a dropped connection surfaces through the pending query instead
  let connected = false;
  try {
    await client.connect();
    connected = true;
    const versions = await new PostgresPaymentStore(client).migrate();
    report.applied = versions.map((version) => ({
      version,
      name: MIGRATIONS.find((m) => m.version === version)?.name ?? '',
    }));
    const { rows } = await client.query('SELECT version FROM daraja_schema_migrations ORDER BY version');
    report.schemaVersions = rows.map((r) => Number((r as { version: unknown }).version));
    report.upToDate = report.applied.length === 0;
    return undefined;
  } catch (error) {
    const described = describeError(error, scrub);
    return { exitCode: EXIT_CODES.failed, error: described, fix: fixForDatabaseError(described, target.url) };
  } finally {
    if (connected) await client.end().catch(() => {});
  }
}

/** @internal Run `daraja migrate`. @returns the exit code. */
export async function runMigrate(argv: readonly string[], context: CliContext): Promise<ExitCode> {
  const args = parseMigrateArgs(argv);
  if (args.help) {
    context.stdout(MIGRATE_USAGE);
    return EXIT_CODES.ok;
  }
  const say = args.json ? () => {} : lineWriter(context.stdout);
  const complain = lineWriter(context.stderr);
  const report: MigrateReport = {
    command: 'migrate',
    ok: false,
    exitCode: EXIT_CODES.failed,
    database: undefined,
    applied: [],
    schemaVersions: [],
    upToDate: false,
  };
  const finish = (exitCode: ExitCode, stop?: Stop): ExitCode => {
    report.exitCode = exitCode;
    report.ok = exitCode === EXIT_CODES.ok;
    if (stop) {
      report.error = stop.error;
      complain(`daraja migrate: ${stop.error.message}`);
      report.fix = stop.fix;
      complain(`fix: ${stop.fix}`);
    }
    if (args.json) printJson(context, report);
    return exitCode;
  };

  const loaded = loadEnvFile(context, args.envFile);
  if (loaded.file) {
    report.envFile = loaded.file;
    say(describeEnvFile(loaded));
  }
  const target = readDatabaseUrl(args.databaseUrl ?? loaded.env['DATABASE_URL'], report);
  if ('fix' in target) return finish(target.exitCode, target);
  const secrets = passwordsIn(target.raw);
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const pg = await loadPg(context, scrub);
  if ('fix' in pg) return finish(pg.exitCode, pg);

  say(`daraja migrate: ${target.shown}`);
  const stop = await applyMigrations(pg, target, scrub, report);
  if (stop) return finish(stop.exitCode, stop);
  for (const m of report.applied) say(`Applied migration ${m.version}: ${m.name}`);
  const version = report.schemaVersions.at(-1);
  say(
    report.upToDate
      ? `Up to date: schema version ${version ?? 'none'}, nothing to apply.`
      : `Done: schema version ${version ?? 'none'}.`,
  );
  return finish(EXIT_CODES.ok);
}
