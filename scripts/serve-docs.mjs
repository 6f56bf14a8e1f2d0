// Serves the built docs site (docs-site/, from `npm run docs`) on http://127.0.0.1:8080/, so search and
// navigation work as they will on GitHub Pages. `npm run docs:serve` builds, then serves.
//
// Usage: node scripts/serve-docs.mjs [directory, default docs-site]
// Environment: PORT (default 8080; 0 picks a free port), HOST (default 127.0.0.1).
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
};

/** The file under `root` a request path names, or a status code to answer instead. */
export function resolveRequestPath(root, rawPath) {
  let path;
  try {
    path = decodeURIComponent(rawPath.split(/[?#]/)[0] ?? '/');
  } catch {
    return 400;
  }
  if (!path.startsWith('/') || path.includes('\0')) return 400;
  const inside = (p) => p === root || p.startsWith(root + sep);
  let file = join(root, path);
  if (!inside(file)) return 403; // `/../package.json`, `/..%2fpackage.json`
  if (!existsSync(file)) return 404;
  if (statSync(file).isDirectory()) file = join(file, 'index.html');
  if (!existsSync(file)) return 404;
  if (!inside(realpathSync(file))) return 403; // a symbolic link out of the site
  return file;
}

/** An HTTP server over a built site. */
export function createDocsServer(directory = 'docs-site') {
  const root = realpathSync(resolve(directory));
  return createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('Method Not Allowed\n');
      return;
    }
    const file = resolveRequestPath(root, req.url ?? '/');
    if (typeof file === 'number') {
      const text = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' }[file];
      res.writeHead(file, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const directory = process.argv[2] ?? 'docs-site';
  if (!existsSync(join(directory, 'index.html'))) {
    console.error(`${directory}/index.html not found: build the site first (npm run docs).`);
    process.exit(1);
  }
  const port = Number(process.env['PORT'] ?? 8080);
  const host = process.env['HOST'] ?? '127.0.0.1';
  const server = createDocsServer(directory);
  server.listen(port, host, () => {
    const { port: actual } = server.address();
    console.log(
      `Serving ${directory} at http://${host.includes(':') ? `[${host}]` : host}:${actual}/ (Ctrl+C stops)`,
    );
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
}
