// The load generator's yardstick: answers every POST with 202 after reading the body. If the generator
// reaches a far higher rate here than against any system, it is not what limits the measurements.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ready } from './ipc.ts';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"trivial"}'));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => ready({ port: (server.address() as AddressInfo).port }));
