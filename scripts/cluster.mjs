#!/usr/bin/env node
// Runs one service as `count` worker processes sharing its port through Node's cluster module
// (the primary accepts connections and hands them to the workers in turn): several instances of
// a service on one machine, one per core, with no proxy of our own.
//   node scripts/cluster.mjs <service> <count>
// Each worker is a whole instance (its own NATS consumers, docs/decisions/0008). A worker that
// exits ends the others and the primary with its code, as `npm start` stops everything when a
// service fails; a process manager or an orchestrator restarts the whole.
import cluster from 'node:cluster';

const [service, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!service || !Number.isInteger(count) || count < 1) {
  console.error('usage: node scripts/cluster.mjs <service> <count of instances, at least 1>');
  process.exit(2);
}

const root = new URL('..', import.meta.url).pathname;
cluster.setupPrimary({
  exec: `${root}apps/${service}/src/main.ts`,
  execArgv: [...process.execArgv, '-r', '@swc-node/register'],
  cwd: root,
});

let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  const done = () => Object.values(cluster.workers ?? {}).every((w) => !w || w.isDead());
  const timer = setInterval(() => done() && process.exit(code), 100);
  setTimeout(() => process.exit(code), 10_000).unref();
  timer.unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

cluster.on('exit', (worker, code, signal) => {
  if (stopping) return;
  console.error(`${service} instance ${worker.id} (pid ${worker.process.pid}) exited (${signal ?? code}); stopping the others.`);
  stopAll(code || 1);
});
// One line once every worker listens: `npm start` waits for it before it asks /ready.
let listening = 0;
cluster.on('listening', (_worker, address) => {
  listening += 1;
  if (listening === count) console.log(`All ${count} instances of ${service} listen on port ${address.port}`);
});
for (let i = 0; i < count; i++) cluster.fork();
