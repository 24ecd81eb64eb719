import type { FirstAdmin } from '@porthole/server';

/** What the first image build took on the machine this was written on; the estimate until one ran here. */
export const FIRST_BUILD_ESTIMATE_SECONDS = 180;

export type ImagesState =
  | { kind: 'building'; names: string[]; estimateSeconds: number; measured: boolean }
  | { kind: 'checking' }
  | { kind: 'off'; reason: string };

export interface BannerInput {
  url: string;
  firstAdmin?: FirstAdmin | undefined;
  /** The one line about Docker Engine when it does not answer. */
  engineProblem?: string | undefined;
  images: ImagesState;
}

export function roughly(seconds: number): string {
  if (seconds < 90) return `${Math.max(10, Math.round(seconds / 10) * 10)} s`;
  return `${Math.round(seconds / 60)} min`;
}

/**
 * The one thing a person reads after `porthole up`: where to go, how to sign in (first start
 * only), and what is not ready yet. Plain text; the caller puts it where JSON logs are not.
 */
export function formatBanner(b: BannerInput): string {
  const lines = ['', `  Porthole is up: ${b.url}`, ...firstAdminLines(b.firstAdmin)];
  if (b.engineProblem) lines.push(`  ${b.engineProblem}`);
  lines.push(`  Workspace images: ${imagesLine(b.images)}`);
  lines.push('', '');
  return lines.join('\n');
}

/** Who signs in first; the password only when it was generated, which is only on the first start. */
export function firstAdminLines(admin: FirstAdmin | undefined): string[] {
  if (!admin) return [];
  if (!admin.generatedPassword)
    return [`  First administrator: ${admin.adminUsername} (password from PORTHOLE_ADMIN_PASSWORD)`];
  return [
    `  First administrator: ${admin.adminUsername}`,
    `  Password:            ${admin.generatedPassword}`,
    ...(admin.passwordFile ? [`  (also written to ${admin.passwordFile}; shown only this once)`] : []),
  ];
}

function imagesLine(images: ImagesState): string {
  switch (images.kind) {
    case 'building': {
      const how = images.measured ? 'the last build here took' : 'a first build takes';
      return `building ${images.names.join(', ')} in the background, ready in about ${roughly(images.estimateSeconds)} (${how} ${roughly(images.estimateSeconds)}); progress below and in Admin → Workspaces`;
    }
    case 'checking':
      return 'present; checking in the background for changes to rebuild';
    case 'off':
      return `not building (${images.reason})`;
  }
}
