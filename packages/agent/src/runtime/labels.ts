import type { LabelSelector } from './container-runtime.js';

/** Docker `label` filter values: "key=value", or "key" for presence. Docker ANDs them. */
export function labelFilters(selector: LabelSelector): string[] {
  const entries = Object.entries(selector);
  if (entries.length === 0) {
    // An empty selector would match every container on the host, including ones we do not own.
    throw new Error('a label selector needs at least one label');
  }
  return entries.map(([key, value]) => (value === true ? key : `${key}=${value}`));
}

/** Client-side re-check of the daemon's filtering, so a daemon quirk can never leak foreign containers. */
export function matchesLabels(labels: Readonly<Record<string, string>>, selector: LabelSelector): boolean {
  for (const [key, value] of Object.entries(selector)) {
    const actual = labels[key];
    if (actual === undefined) return false;
    if (value !== true && actual !== value) return false;
  }
  return Object.keys(selector).length > 0;
}
