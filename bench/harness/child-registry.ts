import type { ChildProcess } from 'node:child_process';

/**
 * Every child process the benchmark started and has not seen exit yet, so that
 * they can all be killed on the way out, whatever the way out is (normal end,
 * error, Ctrl-C).
 */
export class ChildRegistry {
  private readonly children = new Set<ChildProcess>();

  add(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  get size(): number {
    return this.children.size;
  }

  /** Synchronous, so it also works from a process 'exit' handler. */
  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
    this.children.clear();
  }
}
