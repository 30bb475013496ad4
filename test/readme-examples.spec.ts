import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { ApnsModule, ApnsService } from 'nest-apns';
import { MockApnsServer, testCredentials } from 'nest-apns/testing';

// The README's "Testing your app with the mock server" example, run as written
// (the last test checks the README still holds this code).

let mock: MockApnsServer;
beforeAll(async () => {
  mock = await MockApnsServer.start();
});
afterAll(() => mock.stop());

it('tells the customer the order shipped', async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ApnsModule.forRoot({
        gateway: mock.http2Gateway,
        ca: testCredentials.ca,
        token: { key: testCredentials.signingKey, keyId: testCredentials.keyId, teamId: testCredentials.teamId },
        topic: 'com.example.app',
        feedback: false,
      }),
    ],
  }).compile();
  const app = await moduleRef.createNestApplication({ logger: false }).init();
  mock.markUnregistered('cd'.repeat(32), new Date());

  const report = await app.get(ApnsService).send({ alert: 'Your order shipped' }, ['ab'.repeat(32), 'cd'.repeat(32)]);

  expect(report).toMatchObject({ accepted: 1, failed: 1 });
  expect(mock.accepted[0].json).toEqual({ aps: { alert: 'Your order shipped' } });
  await app.close();
});

it('is the example the README shows', () => {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  const source = readFileSync(join(process.cwd(), 'test', 'readme-examples.spec.ts'), 'utf8');
  const body = (text: string) =>
    text
      .slice(text.indexOf("it('tells the customer"), text.indexOf('  await app.close();\n});') + 24)
      .replace('createNestApplication({ logger: false })', 'createNestApplication()');
  expect(body(readme)).toBe(body(source));
});
