import { cpus, platform, release, totalmem } from 'node:os';
import type { MachineInfo } from '../report/bench-results.js';

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    cores: list.length,
    nodeVersion: process.version,
    platform: `${platform()} ${release()}`,
    totalMemoryMb: Math.round(totalmem() / (1024 * 1024)),
  };
}
