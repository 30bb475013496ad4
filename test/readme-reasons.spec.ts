import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APNS_REASONS, BinaryStatus, describeBinaryStatus } from '../src/codec/reasons.js';

// The README's "Errors and reasons" tables are checked against the codec's
// reason tables, the ones the transports use: same reasons, statuses,
// retryability and advice, so the docs cannot drift from what errors say.

function table(marker: string): string[][] {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  const start = readme.indexOf(`<!-- ${marker}:start -->`);
  const end = readme.indexOf(`<!-- ${marker}:end -->`);
  if (start < 0 || end < start) throw new Error(`README.md has no <!-- ${marker}:start --> ... <!-- ${marker}:end --> section`);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|') && !line.startsWith('|---'))
    .slice(1)
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/\\\|/g, '|')),
    );
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

describe('README errors and reasons', () => {
  it('lists every HTTP/2 reason once, with its status, retryability and advice', () => {
    const rows = table('reasons').map(([reason, status, retryable, , advice]) => ({ reason: reason!.replace(/`/g, ''), status, retryable, advice }));
    const expected = Object.values(APNS_REASONS).map((r) => ({ reason: r.reason, status: String(r.status), retryable: yesNo(r.retryable), advice: r.advice }));
    expect(rows).toEqual(expected);
    for (const row of table('reasons')) expect(row[3]).not.toBe('');
  });

  it('lists every binary status code once, with its name, retryability and advice', () => {
    const rows = table('binary-statuses').map(([code, name, retryable, advice]) => ({ code, name: name!.replace(/`/g, ''), retryable, advice }));
    const expected = Object.values(BinaryStatus).map((code) => {
      const info = describeBinaryStatus(code);
      return { code: String(code), name: info.name, retryable: yesNo(info.retryable), advice: info.advice };
    });
    expect(rows).toEqual(expected);
  });
});
