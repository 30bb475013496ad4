// Runs every bad-certificate scenario of test/security-tls.e2e-spec.ts in a
// process of its own, where nothing intercepts 'uncaughtException' and
// 'unhandledRejection' (jest replaces those listeners while a test runs), and
// prints one JSON line: what each scenario ended with and every such event.
// Loads the built package (dist/), as an application would.
import { ApnsClient } from '../../dist/index.js';
import { MockApnsServer, testCredentials as creds } from '../../dist/testing/index.js';

const events = [];
process.on('uncaughtException', (error) => events.push({ kind: 'uncaughtException', message: String(error?.stack ?? error) }));
process.on('unhandledRejection', (reason) => events.push({ kind: 'unhandledRejection', message: String(reason?.stack ?? reason) }));

const quiet = { log() {}, warn() {}, error() {} };
const TOPIC = 'com.example.app';
const token = (i, prefix) => (prefix + i.toString(16)).padStart(64, '0');
let seed = 1;

function options(mock, transport, extra) {
  const base = {
    topic: TOPIC,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    reconnect: { baseDelayMs: 5, maxDelayMs: 20, giveUpAfterMs: 3_000 },
    random: () => ((seed = (seed * 16807) % 2147483647) / 2147483647),
    logger: quiet,
  };
  return transport === 'binary'
    ? { ...base, transport: 'binary', gateway: mock.gateway, feedbackGateway: mock.feedbackGateway, cert: creds.clientCert, key: creds.clientKey, ...extra }
    : { ...base, gateway: mock.http2Gateway, token: { key: creds.signingKey, keyId: creds.keyId, teamId: creds.teamId }, ...extra };
}

async function send(name, opts, count) {
  const client = new ApnsClient(opts);
  const reasons = [];
  client.errors$.subscribe((e) => reasons.push(e.reason));
  const report = await client.send({ alert: 'tls' }, Array.from({ length: count }, (_, i) => token(i, 'e')));
  await client.close();
  return { name, accepted: report.accepted, failed: report.failed, reasons };
}

async function poll(name, opts) {
  const client = new ApnsClient(opts);
  let outcome = 'resolved';
  try {
    await client.pollFeedback();
  } catch (error) {
    outcome = `rejected: ${error?.name}`;
  }
  await client.close();
  return { name, outcome };
}

function boot(name, opts) {
  try {
    new ApnsClient(opts).close();
    return { name, outcome: 'started' };
  } catch (error) {
    return { name, outcome: error?.name, fields: error?.problems?.map((p) => p.field) };
  }
}

const results = [];
const untrusted = await MockApnsServer.start({ untrustedCertificate: true });
const sandbox = await MockApnsServer.start();
const production = await MockApnsServer.start({ environment: 'production' });
try {
  for (const transport of ['binary', 'http2']) {
    results.push(await send(`${transport}: untrusted server, default trust`, options(untrusted, transport, {}), 2));
    results.push(await send(`${transport}: untrusted server, ca names another CA`, options(untrusted, transport, { ca: creds.ca }), 2));
  }
  const http2Cert = (extra) => options(sandbox, 'http2', { token: undefined, ca: creds.ca, ...extra });
  results.push(await send('binary: expired client certificate', options(sandbox, 'binary', { ca: creds.ca, cert: creds.expiredClientCert, key: creds.expiredClientKey }), 2));
  results.push(await send('binary: client certificate from another CA', options(sandbox, 'binary', { ca: creds.ca, cert: creds.untrustedServerCert, key: creds.untrustedServerKey }), 2));
  results.push(await poll('feedback: expired client certificate', options(sandbox, 'binary', { ca: creds.ca, cert: creds.expiredClientCert, key: creds.expiredClientKey })));
  results.push(await send('http2: expired client certificate', http2Cert({ cert: creds.expiredClientCert, key: creds.expiredClientKey }), 2));
  const productionOnly = { environment: 'production', ca: creds.ca, cert: creds.productionClientCert, key: creds.productionClientKey };
  results.push(await send('http2: production certificate, sandbox server', http2Cert(productionOnly), 2));
  results.push(await send('binary: production certificate, sandbox server', options(sandbox, 'binary', productionOnly), 2));
  results.push(await poll('feedback: production certificate, sandbox server', options(sandbox, 'binary', productionOnly)));
  const sandboxOnly = { ca: creds.ca, cert: creds.sandboxClientCert, key: creds.sandboxClientKey };
  results.push(await send('http2: sandbox certificate, production server', options(production, 'http2', { token: undefined, ...sandboxOnly }), 2));
  results.push(await send('binary: sandbox certificate, production server', options(production, 'binary', sandboxOnly), 2));
  results.push(boot('boot: production certificate, environment sandbox', options(sandbox, 'binary', { ...productionOnly, environment: 'sandbox' })));
  // Late socket errors and timers of the closed clients get their chance to surface.
  await new Promise((resolve) => setTimeout(resolve, 300));
} finally {
  await Promise.all([untrusted.stop(), sandbox.stop(), production.stop()]);
}
process.stdout.write(`${JSON.stringify({ results, events })}\n`);
