/**
 * The ceiling: a bare Fastify server with no database, no validation and no hooks, answering from
 * memory the bytes the real server answered for the same URL. What the framework alone costs on
 * this machine; the real figures are reported as ratios to it.
 */
import Fastify from 'fastify';

interface Canned {
  status: number;
  contentType: string;
  body: string;
}
interface RouteTable {
  /** `METHOD path` → answers by full URL (path and query); `*` is the answer to any other URL. */
  routes: Record<string, Record<string, Canned>>;
}

const send = (message: object) => process.send?.(message);
let table: RouteTable = { routes: {} };
const buffers = new Map<string, Map<string, { status: number; contentType: string; body: Buffer }>>();

const app = Fastify({ logger: false });
app.all('/*', async (request, reply) => {
  const path = request.url.split('?', 1)[0] ?? '';
  const byUrl = buffers.get(`${request.method} ${path}`);
  const canned = byUrl?.get(request.url) ?? byUrl?.get('*');
  if (!canned) return reply.code(404).send({ code: 'route_not_found' });
  return reply.code(canned.status).type(canned.contentType).send(canned.body);
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0, pid: process.pid });

process.on('message', (command: { type: 'routes'; table: RouteTable } | { type: 'stop' }) => {
  if (command.type === 'routes') {
    table = command.table;
    buffers.clear();
    for (const [route, answers] of Object.entries(table.routes)) {
      buffers.set(
        route,
        new Map(
          Object.entries(answers).map(([url, canned]) => [
            url,
            { status: canned.status, contentType: canned.contentType, body: Buffer.from(canned.body) },
          ]),
        ),
      );
    }
    send({ type: 'routes-set' });
  } else if (command.type === 'stop') {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
process.on('disconnect', () => process.exit(0));
