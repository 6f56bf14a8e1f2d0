import type { SubscriptionService } from './service.js';

/** A started example app, as both adapters return it. */
export interface RunningApp {
  /** Where it listens, e.g. `http://127.0.0.1:3000`. */
  url: string;
  service: SubscriptionService;
  /** Stop accepting requests, then close the service (reconcile timer, simulator, database). */
  close(): Promise<void>;
}

/** The banner both servers print at start-up. */
export function banner(framework: string, app: RunningApp, describe: string): string {
  return [
    `Subscription demo (${framework}) listening on ${app.url}`,
    `  ${describe}`,
    '  Open the URL in a browser, pick a plan and enter any Kenyan phone number.',
  ].join('\n');
}
