export const README_START_MARKER = '<!-- bench:start -->';
export const README_END_MARKER = '<!-- bench:end -->';

/**
 * Replaces what sits between the benchmark markers of a README with `content`.
 * Returns undefined, and so changes nothing, when either marker is missing or
 * they are in the wrong order.
 */
export function replaceBenchSection(readme: string, content: string): string | undefined {
  const start = readme.indexOf(README_START_MARKER);
  if (start < 0) return undefined;
  const end = readme.indexOf(README_END_MARKER, start + README_START_MARKER.length);
  if (end < 0) return undefined;
  const before = readme.slice(0, start + README_START_MARKER.length);
  const after = readme.slice(end);
  return `${before}\n${content.trim()}\n${after}`;
}
