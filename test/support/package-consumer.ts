import { execFile } from 'node:child_process';
import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');

/** Builds dist/ unless `npm test` already did. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(join(repoRoot, 'dist', 'index.js')) && existsSync(join(repoRoot, 'dist', 'testing', 'index.js'))) return;
  await run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: repoRoot,
  });
}

/**
 * Lays out a throwaway app folder under .tmp/ whose node_modules holds a copy
 * (not a link) of the built package, so the package resolves its peers from
 * the app's own node_modules, as it would once installed from the registry.
 * `nestFrom` links @nestjs/* from another node_modules (Nest 11 for the CJS app);
 * without it the repo's own (Nest 12) are found by walking up.
 */
export async function makeConsumer(name: string, files: Record<string, string>, nestFrom?: string): Promise<string> {
  const dir = join(repoRoot, '.tmp', 'consumers', name);
  await rm(dir, { recursive: true, force: true });
  const pkgDir = join(dir, 'node_modules', 'nest-apns');
  await mkdir(pkgDir, { recursive: true });
  await cp(join(repoRoot, 'dist'), join(pkgDir, 'dist'), { recursive: true });
  await cp(join(repoRoot, 'package.json'), join(pkgDir, 'package.json'));
  if (nestFrom) {
    await mkdir(join(dir, 'node_modules', '@nestjs'), { recursive: true });
    for (const pkg of ['common', 'core', 'schedule']) {
      await symlink(join(nestFrom, '@nestjs', pkg), join(dir, 'node_modules', '@nestjs', pkg), 'dir');
    }
  }
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

/** Runs a consumer script and parses the JSON line it prints last. */
export async function runConsumer(dir: string, script: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [script], { cwd: dir, timeout: 60_000 });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}
