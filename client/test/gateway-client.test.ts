import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { GatewayClient, GatewayProblem } from '../src/index.js';
import { rejection } from './support/fixtures.js';

const server = createServer((req, res) => {
  if (req.url === '/me/summary') {
    res.statusCode = 403;
    res.setHeader('content-type', 'application/problem+json');
    return res.end(JSON.stringify({ status: 403, code: 'FORBIDDEN', detail: 'not yours' }));
  }
  if (req.url === '/tx/prepare') {
    res.setHeader('content-type', 'application/json');
    return res.end(JSON.stringify({ txId: 'x', proposal: 42, digest: 'AA==' }));
  }
  res.statusCode = 500;
  res.end('<html>oops</html>');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise((resolve) => server.close(resolve)));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

t.test("a gateway's problem comes back with its status and stable code", async (t) => {
  const error = await rejection(new GatewayClient(url).summary());
  t.ok(error instanceof GatewayProblem);
  t.match(error, { status: 403, code: 'FORBIDDEN', message: 'not yours' });
});

t.test('an unreadable error, bad bytes or no gateway at all are reported as such', async (t) => {
  t.match(await rejection(new GatewayClient(url).relationship('r')), { status: 500, code: 'HTTP_500' });
  t.match(await rejection(new GatewayClient(url).prepare('Relationship', 'accept', [])), { code: 'GATEWAY_BAD_RESPONSE' });
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  t.match(await rejection(new GatewayClient(`http://127.0.0.1:${port}`).summary()), { status: 0, code: 'GATEWAY_UNREACHABLE' });
});
