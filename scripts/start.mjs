#!/usr/bin/env node
// `npm start`: checks that PostgreSQL and NATS (with JetStream) answer, then runs every service,
// demo-sp and the admin console, prints where each listens, and stops them all on Ctrl-C or when one fails.
// DIRECTORY_INSTANCES, CATALOG_INSTANCES, IDP_INSTANCES and CONSOLE_INSTANCES (default 1) run that
// many instances of the service on its one port, through Node's cluster module (scripts/cluster.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { connect as tcp } from 'node:net';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env };
env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/jit';
env.NATS_URL ??= 'nats://127.0.0.1:4222';
if (!env.BOOTSTRAP_ADMIN_API_KEY && env.NODE_ENV !== 'production') {
  env.BOOTSTRAP_ADMIN_API_KEY = 'dev-admin-key-change-me';
  console.log('BOOTSTRAP_ADMIN_API_KEY was not set; using the development key "dev-admin-key-change-me".');
}

// The first administrator (a person): created in the default organisation at the first start
// only; a later start with other values changes nothing. Production refuses this password.
if (env.NODE_ENV !== 'production') {
  if (!env.BOOTSTRAP_ADMIN_USERNAME) {
    env.BOOTSTRAP_ADMIN_USERNAME = 'admin';
    console.log('BOOTSTRAP_ADMIN_USERNAME was not set; using "admin".');
  }
  if (!env.BOOTSTRAP_ADMIN_PASSWORD) {
    env.BOOTSTRAP_ADMIN_PASSWORD = 'dev-admin-password-change-me';
    console.log('BOOTSTRAP_ADMIN_PASSWORD was not set; using the development password "dev-admin-password-change-me".');
  }
}

// The services authenticate and encrypt what they send each other over NATS with BUS_KEYS. This
// is the development key of libs/shared/config (public, so it protects nothing: each service
// warns about it at start); production refuses it.
if (!env.BUS_KEYS && env.NODE_ENV !== 'production') {
  env.BUS_KEYS = 'development-bus-key-known-to-everyone-never-use-in-production';
  console.log('BUS_KEYS was not set; using the public development bus key.');
}

const services = [
  { name: 'directory', port: env.DIRECTORY_PORT ?? '4001', what: 'admin API: users, groups' },
  { name: 'catalog', port: env.CATALOG_PORT ?? '4002', what: 'admin API: connectors, applications' },
  { name: 'idp', port: env.IDP_PORT ?? '4000', what: 'SAML IdP and login page' },
  { name: 'demo-sp', port: env.DEMO_SP_PORT ?? '4100', what: 'example SP with JIT accounts' },
  { name: 'console', port: env.CONSOLE_PORT ?? '4003', what: 'admin console (sign in as an administrator)' },
];

// How many instances of each service: one per core at most is what helps (each is a whole process).
for (const service of services) {
  const variable = `${service.name.replace('-', '_').toUpperCase()}_INSTANCES`;
  const value = env[variable] ?? '1';
  if (!/^[1-9][0-9]*$/.test(value) || (service.name === 'demo-sp' && value !== '1')) {
    console.error(
      `${variable} must be a whole number of at least 1${service.name === 'demo-sp' ? ' (demo-sp runs one instance: 1)' : ''}; it is "${value}".`,
    );
    process.exit(1);
  }
  service.instances = Number(value);
}

function reachable(url, defaultPort) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = tcp({ host: u.hostname, port: Number(u.port || defaultPort) });
    socket.setTimeout(2000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

if (!(await reachable(env.DATABASE_URL, 5432))) {
  console.error(
    `PostgreSQL is not reachable at ${new URL(env.DATABASE_URL).host}. Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
  );
  process.exit(1);
}
if (!(await reachable(env.NATS_URL, 4222))) {
  console.error(
    `NATS is not reachable at ${env.NATS_URL}. Start it with JetStream: nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server`,
  );
  process.exit(1);
}

// The console's screens are a Vite build (a second or two); the console service serves them.
console.log('Building the admin console (apps/console-web)...');
const built = spawnSync(
  process.execPath,
  ['node_modules/vite/bin/vite.js', 'build', '--config', 'apps/console-web/vite.config.ts', '--logLevel', 'error'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  },
);
if (built.status !== 0) {
  console.error('The admin console did not build; see above.');
  process.exit(1);
}

const children = [];
let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

async function waitReady(service) {
  // Several instances: each must listen first (scripts/cluster.mjs says when), or the first
  // alone would answer every /ready below.
  if (service.instances > 1) await service.allListening;
  const url = `http://127.0.0.1:${service.port}/ready`;
  // The instances of a service take turns answering: ready once each has had a turn or two.
  let inARow = 0;
  for (let i = 0; i < 300 && !stopping; i++) {
    try {
      inARow = (await fetch(url)).status === 200 ? inARow + 1 : 0;
      if (inARow >= 2 * service.instances - 1) return true;
      if (inARow > 0) continue;
    } catch {
      // not listening yet
      inARow = 0;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function run(service) {
  const args =
    service.instances > 1
      ? ['scripts/cluster.mjs', service.name, String(service.instances)]
      : ['-r', '@swc-node/register', `apps/${service.name}/src/main.ts`];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${service.name}] `;
  let listening = () => undefined;
  service.allListening = new Promise((resolve) => (listening = resolve));
  child.once('exit', () => listening());
  const pipe = (stream, out) => {
    let rest = '';
    stream.on('data', (d) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(`All ${service.instances} instances of ${service.name} listen`)) listening();
        out.write(prefix + line + '\n');
      }
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  child.once('exit', (code) => {
    if (!stopping) {
      console.error(`${service.name} exited (${code}); stopping the others.`);
      stopAll(code || 1);
    }
  });
  children.push(child);
  return child;
}

// The directory first: it owns the organisations and API keys the others ask about.
run(services[0]);
if (!(await waitReady(services[0]))) stopAll(1);
for (const s of services.slice(1)) run(s);
const ready = await Promise.all(services.slice(1).map(waitReady));
if (ready.every(Boolean)) {
  console.log('\nAll services are ready:');
  for (const s of services) {
    const instances = s.instances > 1 ? ` (${s.instances} instances)` : '';
    console.log(`  ${s.name.padEnd(10)} http://localhost:${s.port}   ${s.what}${instances}`);
  }
  console.log(`\nAdmin API key (x-api-key): ${env.BOOTSTRAP_ADMIN_API_KEY}`);
  if (env.BOOTSTRAP_ADMIN_USERNAME && env.BOOTSTRAP_ADMIN_PASSWORD) {
    // Never echo a password the developer chose: only the printed development one.
    const password =
      env.BOOTSTRAP_ADMIN_PASSWORD === 'dev-admin-password-change-me' ? env.BOOTSTRAP_ADMIN_PASSWORD : '(BOOTSTRAP_ADMIN_PASSWORD)';
    console.log(`First administrator (created at the first start only): ${env.BOOTSTRAP_ADMIN_USERNAME} / ${password}`);
  }
  console.log('Press Ctrl-C to stop.\n');
} else if (!stopping) {
  console.error('A service did not become ready; see its log lines above.');
  stopAll(1);
}
