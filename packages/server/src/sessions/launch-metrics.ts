/** How a launch got its container: a fresh one, or a standby taken from a staging pool. */
export type LaunchKind = 'on_demand' | 'staged';

/**
 * What the launch path reports to the metrics (metrics/server-metrics.ts implements it with
 * prom-client). Declared here so the session code does not depend on a metrics library.
 */
export interface LaunchMetrics {
  launchStarted(kind: LaunchKind): void;
  launchFailed(kind: LaunchKind): void;
  /** From the launch request to the session running (or, staged, to the standby being assigned). */
  launchRunning(kind: LaunchKind, seconds: number): void;
}

export const noLaunchMetrics: LaunchMetrics = {
  launchStarted: () => undefined,
  launchFailed: () => undefined,
  launchRunning: () => undefined,
};
