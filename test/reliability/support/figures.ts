import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Where each scenario leaves its latest figures (docs/reliability.md quotes them). */
const DIR = fileURLToPath(new URL('../../../test-results/reliability/', import.meta.url));

/** Merges `figures` into test-results/reliability/<scenario>.json and prints them. */
export function recordFigure(scenario: string, figures: Record<string, unknown>): void {
  mkdirSync(DIR, { recursive: true });
  const file = `${DIR}${scenario}.json`;
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first figure of this run
  }
  // The machine is shared with other test runs: the load it was under goes with the figures.
  const merged = {
    ...current,
    ...figures,
    recordedAt: new Date().toISOString(),
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`[reliability] ${scenario}: ${JSON.stringify(figures)}`);
}

/** Starts a fresh figures file for a scenario (at the start of its run). */
export function resetFigures(scenario: string): void {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(`${DIR}${scenario}.json`, '{}\n');
}

/** Logs how long each setup step took (the suite's time budget is tight on a shared machine). */
export class Steps {
  private last = Date.now();
  private readonly started = Date.now();
  constructor(private readonly scenario: string) {}

  mark(step: string): number {
    const now = Date.now();
    const ms = now - this.last;
    this.last = now;
    console.log(
      `[reliability] ${this.scenario}: ${step} in ${(ms / 1000).toFixed(1)} s (${((now - this.started) / 1000).toFixed(0)} s so far)`,
    );
    return ms;
  }
}
