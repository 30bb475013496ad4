#!/usr/bin/env node
// nest-apns-mock: runs the mock APNs server until SIGINT/SIGTERM (see MOCK_CLI_USAGE).
import { MOCK_CLI_USAGE, parseMockCliArgs, runMockCli } from './mock-cli.js';

const write = (line: string) => process.stdout.write(`${line}\n`);
// A reader that goes away (`| head`) must not take the server down with an
// unhandled EPIPE: the server keeps running until it is told to stop.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') process.stderr.write(`nest-apns-mock: stdout: ${error.message}\n`);
});

try {
  const options = parseMockCliArgs(process.argv.slice(2));
  if (options.help) {
    write(MOCK_CLI_USAGE);
  } else {
    const running = await runMockCli(options, write);
    const shutdown = (signal: NodeJS.Signals) => {
      process.stderr.write(`mock APNs: ${signal}, stopping\n`);
      void running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  }
} catch (error) {
  process.stderr.write(`nest-apns-mock: ${error instanceof Error ? error.message : String(error)}\n\n${MOCK_CLI_USAGE}\n`);
  process.exitCode = 2;
}
