import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { type AppConfig, configFromEnv } from './config.js';
import { banner, type RunningApp } from './running-app.js';
import { describeMode } from './service.js';
import { StartupError } from './startup-error.js';

/** The port is taken by another process. */
export class PortInUseError extends StartupError {
  override name = 'PortInUseError';
  constructor(port: number, startCommand: string) {
    super(
      `Port ${port} is in use; stop the other process or start with PORT=${port + 1 > 65_535 ? 3001 : port + 1} ${startCommand}`,
    );
  }
}

/**
 * Load `./.env` (from the directory the app starts in) when there is one: variables already set in the
 * environment win over the file. Returns the names it set (never their values).
 */
export function loadDotEnv(path = '.env', env: Record<string, string | undefined> = process.env): string[] {
  if (!existsSync(path)) return [];
  const parsed = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  const loaded: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    loaded.push(name);
  }
  return loaded;
}

/**
 * Run an example server as `npm start` does: load `.env`, read the settings, start, print the banner,
 * and stop cleanly on SIGINT/SIGTERM. A problem the user can fix (missing settings, a busy port, a data
 * folder in use) is printed as a clear message, without a stack trace, and exits with code 1.
 */
export async function runServer(options: {
  framework: string;
  appName: string;
  /** The command that starts it, for the busy-port hint, e.g. `npm start`. */
  startCommand: string;
  start: (config: AppConfig) => Promise<RunningApp>;
}): Promise<void> {
  let config: AppConfig | undefined;
  let app: RunningApp;
  try {
    const loaded = loadDotEnv();
    if (loaded.length > 0) console.log(`Settings from .env: ${loaded.join(', ')}`);
    config = configFromEnv(process.env, options.appName);
    app = await options.start(config);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const known =
      error instanceof StartupError
        ? error
        : code === 'EADDRINUSE' && config
          ? new PortInUseError(config.port, options.startCommand)
          : undefined;
    if (!known) throw error;
    process.stderr.write(`${known.message}\n`);
    process.exit(1);
  }
  // Ctrl-C reaches npm, tsx and the app (the whole process group), and tsx relays it too: the app gets the
  // signal twice. Later ones are ignored while it closes, or the default action would kill it half-closed.
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), 10_000).unref(); // a close that hangs does not keep it running
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The banner last: whoever waits for it (a test, a supervisor) may stop the app at once.
  console.log(banner(options.framework, app, describeMode(app.service.mode)));
}
