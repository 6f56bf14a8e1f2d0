import type { Server } from 'node:http';
import type { AppConfig } from './config.js';
import type { RunningApp } from './running-app.js';
import { createSubscriptionService, type SubscriptionService } from './service.js';

/**
 * Listen on `config.port` with a node:http server that already routes requests (answering 503 until the
 * service is ready), then start the service and hand it over with `ready`. A listen error (EADDRINUSE) is
 * thrown: the app does not hold the port, so it must not carry on as if it did. Used by the Hono and
 * Next.js adapters.
 */
export async function listenThenStart(
  server: Server,
  config: AppConfig,
  ready: (service: SubscriptionService, url: string) => void | Promise<void>,
  onClose: () => Promise<void> = async () => {},
): Promise<RunningApp> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const stopServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  let service: SubscriptionService;
  try {
    service = await createSubscriptionService(config, url);
    await ready(service, url);
  } catch (error) {
    await stopServer();
    await onClose();
    throw error;
  }
  return {
    url,
    service,
    close: async () => {
      await stopServer();
      await onClose();
      await service.close();
    },
  };
}
