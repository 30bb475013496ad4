// Preloaded (`node --import`) into every child process the benchmark starts,
// the mock server included: when the parent's IPC channel closes (the parent
// finished, crashed or was killed) the child exits too, so no run leaves an
// orphan behind. The channel is unref'd so that it alone keeps nothing alive.
if (typeof process.send === 'function') {
  process.on('disconnect', () => process.exit(0));
  process.channel?.unref();
}
export {};
