import { join } from 'node:path';
import { ensureBuilt, makeConsumer, repoRoot, runConsumer } from './support/package-consumer.js';

// The package is ESM. A CommonJS app on Nest 11 loads it through require(esm)
// (Node >= 20.19) and our imports of @nestjs/* must bind to the app's Nest 11;
// an ESM app on Nest 12 imports it natively. Both load the built dist/, the
// way an installed copy would be loaded.

const PUBLIC_CLASSES = ['ApnsDeliveryError', 'ApnsValidationError', 'ApnsOptionsError', 'ApnsConnectionError'];

const probe = (requireOrImport: string) => `
${requireOrImport}
const out = {
  nest: nestVersion,
  resolvedFrom: resolvedFrom,
  classes: ${JSON.stringify(PUBLIC_CLASSES)}.filter((n) => typeof apns[n] === 'function'),
  messageOk: new apns.ApnsValidationError('token', 'odd length', 'Pass the hex token').message,
  testingLoads: typeof testing === 'object',
};
console.log(JSON.stringify(out));
`;

describe('the built package', () => {
  beforeAll(ensureBuilt, 120_000);

  it('loads from a CommonJS app running Nest 11', async () => {
    const nest11 = join(repoRoot, 'test', 'fixtures', 'nest11-consumer', 'node_modules');
    const dir = await makeConsumer(
      'cjs-nest11',
      {
        // Without a package.json of its own, the folder sits in the repo's package
        // scope and 'nest-apns' would self-reference the repo's dist (and Nest 12).
        'package.json': JSON.stringify({ name: 'cjs-consumer', private: true }),
        'main.cjs': probe(`
require('reflect-metadata');
const apns = require('nest-apns');
const testing = require('nest-apns/testing');
const nestVersion = require('@nestjs/core/package.json').version;
const resolvedFrom = require.resolve('nest-apns');`),
      },
      nest11,
    );
    const out = await runConsumer(dir, 'main.cjs');
    expect(out.nest).toMatch(/^11\./);
    expect(out.resolvedFrom).toBe(join(dir, 'node_modules', 'nest-apns', 'dist', 'index.js'));
    expect(out.classes).toEqual(PUBLIC_CLASSES);
    expect(out.messageOk).toBe('Invalid token: odd length. Pass the hex token');
    expect(out.testingLoads).toBe(true);
  }, 60_000);

  it('loads from an ESM app running Nest 12', async () => {
    const dir = await makeConsumer('esm-nest12', {
      'package.json': JSON.stringify({ name: 'esm-consumer', private: true, type: 'module' }),
      'main.js': probe(`
import 'reflect-metadata';
import * as apns from 'nest-apns';
import * as testing from 'nest-apns/testing';
import { createRequire } from 'node:module';
const nestVersion = createRequire(import.meta.url)('@nestjs/core/package.json').version;
const resolvedFrom = import.meta.resolve('nest-apns');`),
    });
    const out = await runConsumer(dir, 'main.js');
    expect(out.nest).toMatch(/^12\./);
    expect(out.resolvedFrom).toBe(`file://${join(dir, 'node_modules', 'nest-apns', 'dist', 'index.js')}`);
    expect(out.classes).toEqual(PUBLIC_CLASSES);
    expect(out.testingLoads).toBe(true);
  }, 60_000);
});
