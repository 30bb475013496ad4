/** Shapes of the results file (`bench/results/latest.json`) and of what the report functions take. */

/** The machine a run was measured on: stated next to every figure. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  nodeVersion: string;
  platform: string;
  totalMemoryMb: number;
}

/** What one measured run of one contender returned from its child process. */
export interface RunSample {
  /** Notifications the contender was asked to send in the measured window. */
  count: number;
  /** Of those, accepted (HTTP/2: answered 200; binary: written and the connection closed cleanly). */
  ok: number;
  failed: number;
  elapsedMs: number;
  /** User + system CPU of the client's process during the measured window, ms. */
  cpuMs: number;
  /** Highest RSS seen by the 50 ms sampler over the child's life, bytes. */
  peakRssBytes: number;
  /** Latency scenario only: per-notification latencies, ms. */
  latency?: { p50: number; p99: number; max: number; samples: number };
  /** Codec scenario only: frames/s and MB/s (notificationsPerSec is frames/s there). */
  mbPerSec?: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One contender in one scenario, over its repeated runs. */
export interface ContenderResult {
  id: string;
  label: string;
  /** Baselines are what the others are compared to (ratio columns). */
  baseline: boolean;
  /** Ids of the baselines this row is compared with; all of the scenario's when absent. */
  compareTo?: string[];
  /** Set when the contender could not run at all; the row is kept with the reason. */
  unavailable?: string;
  runs: RunSample[];
  /** Runs that failed (crash, timeout, lost notifications), with the reason. */
  errors: string[];
  notificationsPerSec?: Spread;
  cpuMsPer1000?: Spread;
  peakRssMb?: Spread;
  latencyP50Ms?: Spread;
  latencyP99Ms?: Spread;
  mbPerSec?: Spread;
  /** Throughput of this row divided by each baseline's (median / median), by baseline id. */
  throughputRatio: Record<string, number>;
  /** CPU per notification of this row divided by each baseline's, by baseline id. */
  cpuRatio: Record<string, number>;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** What was sent, how, and what "done" means. */
  description: string;
  /** Unit of the throughput column (`notifications/s`, `frames/s`). */
  unit: string;
  contenders: ContenderResult[];
}

export type GoalStatus = 'met' | 'not met' | 'not measured';

export interface GoalResult {
  id: string;
  text: string;
  status: GoalStatus;
  /** The figures the verdict rests on, in words. */
  detail: string;
}

export interface BenchResults {
  generatedAt: string;
  mode: 'full' | 'quick';
  machine: MachineInfo;
  durationSec: number;
  /** Mock server settings and other facts a reader needs to reproduce the figures. */
  notes: string[];
  /** Counts and runs per row the suite used. */
  settings?: Record<string, number>;
  scenarios: ScenarioResult[];
  goals: GoalResult[];
}
