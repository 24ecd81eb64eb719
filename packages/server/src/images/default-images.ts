import type { ImageFields } from './image-repo.js';

function svgIcon(body: string): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">${body}</svg>`;
  return `data:image/svg+xml;utf8,${encodeURIComponent(svg)}`;
}

const monitor =
  '<rect x="6" y="10" width="52" height="34" rx="4" fill="#1f3b5b"/>' +
  '<rect x="10" y="14" width="44" height="26" rx="2" fill="#4fa3e0"/>' +
  '<rect x="26" y="46" width="12" height="6" fill="#1f3b5b"/><rect x="18" y="52" width="28" height="4" rx="2" fill="#1f3b5b"/>';

/** The workspaces every installation starts with, built by `porthole images build`. */
export const defaultImages: ReadonlyArray<Omit<ImageFields, 'zone_id' | 'agent_id' | 'network'>> = [
  {
    name: 'desktop',
    friendly_name: 'Desktop',
    description: 'A lightweight Linux desktop with a browser, terminal and file manager.',
    docker_image: 'porthole/desktop:latest',
    cores: 2,
    memory_mb: 2048,
    shm_mb: 512,
    gpu_count: 0,
    enabled: true,
    categories: ['Desktop'],
    icon: svgIcon(monitor),
    run_config: {},
    exec_config: {},
  },
  {
    name: 'desktop-deluxe',
    friendly_name: 'Desktop Deluxe',
    description: 'A fuller Linux desktop with office, graphics and development tools.',
    docker_image: 'porthole/desktop-deluxe:latest',
    cores: 2,
    memory_mb: 3072,
    shm_mb: 512,
    gpu_count: 0,
    enabled: true,
    categories: ['Desktop', 'Productivity', 'Development'],
    icon: svgIcon(`${monitor}<path d="M32 19l3 6 6 1-4.5 4 1 6-5.5-3-5.5 3 1-6-4.5-4 6-1z" fill="#ffd54a"/>`),
    run_config: {},
    exec_config: {},
  },
  {
    name: 'firefox',
    friendly_name: 'Firefox',
    description: 'The Firefox web browser on its own, isolated from your computer.',
    docker_image: 'porthole/firefox:latest',
    cores: 2,
    memory_mb: 2048,
    shm_mb: 512,
    gpu_count: 0,
    enabled: true,
    categories: ['Browser', 'Internet'],
    icon: svgIcon(
      '<circle cx="32" cy="32" r="26" fill="#ff7139"/><circle cx="32" cy="32" r="16" fill="#5b2a86"/>' +
        '<path d="M14 24c4-10 16-16 28-12-6 0-10 4-10 8 8 0 14 6 12 14" fill="#ffbd4f"/>',
    ),
    run_config: {},
    exec_config: {},
  },
];
