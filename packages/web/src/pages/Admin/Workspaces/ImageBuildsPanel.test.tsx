// @vitest-environment happy-dom
import type { ImageBuildsView, ImageBuildView } from '@porthole/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithTheme } from '../../../test/render';
import { ImageBuildsPanel, ImageBuildsStatus } from './ImageBuildsPanel';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const image = (name: string, over: Partial<ImageBuildView> = {}): ImageBuildView => ({
  name,
  image: `porthole/${name}:0.1.0`,
  state: 'queued',
  step: null,
  steps: null,
  stepText: null,
  upToDate: false,
  startedAt: null,
  finishedAt: null,
  elapsedSeconds: 0,
  error: null,
  ...over,
});

const view = (images: ImageBuildView[], over: Partial<ImageBuildsView> = {}): ImageBuildsView => ({
  active: images.some((i) => i.state === 'queued' || i.state === 'building'),
  startedAt: '2026-01-01T10:00:00.000Z',
  finishedAt: null,
  base: 'porthole/base-bookworm:latest (debootstrap base, already present)',
  error: null,
  images,
  ...over,
});

const building = view([
  image('desktop', {
    state: 'building',
    step: 7,
    steps: 19,
    stepText: 'RUN apt-get install …',
    elapsedSeconds: 125,
    startedAt: '2026-01-01T10:00:00.000Z',
  }),
  image('desktop-deluxe'),
  image('firefox'),
]);

const finished = (firefox: Partial<ImageBuildView>): ImageBuildsView =>
  view(
    [
      image('desktop', { state: 'done', elapsedSeconds: 300 }),
      image('desktop-deluxe', { state: 'done', upToDate: true }),
      image('firefox', { elapsedSeconds: 40, ...firefox }),
    ],
    { finishedAt: '2026-01-01T10:06:00.000Z' },
  );

// Mantine in a simulated DOM is slow on a busy two-core machine.
describe('ImageBuildsPanel', { timeout: 30_000 }, () => {
  it('shows each image with its state, step n/m and text, and elapsed time while building', () => {
    renderWithTheme(<ImageBuildsPanel view={building} />);
    expect(screen.getByText('Building the default workspace images')).toBeTruthy();
    expect(screen.getByText(/Base: porthole\/base-bookworm/)).toBeTruthy();
    const desktop = screen.getByTestId('image-build-desktop');
    expect(desktop.textContent).toContain('Building');
    expect(desktop.textContent).toContain('step 7/19: RUN apt-get install …');
    expect(desktop.textContent).toContain('2m 05s');
    expect(screen.getByTestId('image-build-firefox').textContent).toContain('Queued');
    expect(screen.getByLabelText('desktop build progress').getAttribute('aria-valuenow')).toBe('37');
  });

  it('shows nothing once every image is done', () => {
    renderWithTheme(<ImageBuildsPanel view={finished({ state: 'done' })} />);
    expect(screen.queryByTestId('image-builds')).toBeNull();
    expect(screen.queryByTestId('image-build-desktop')).toBeNull();
  });

  it('keeps failures on screen after the run, with the reason', () => {
    renderWithTheme(
      <ImageBuildsPanel
        view={finished({ state: 'failed', error: 'firefox: build failed at step 7/12: apt-get: 404' })}
      />,
    );
    expect(screen.getByText('Some default workspace images were not built')).toBeTruthy();
    const firefox = screen.getByTestId('image-build-firefox');
    expect(firefox.textContent).toContain('Failed');
    expect(firefox.textContent).toContain('build failed at step 7/12: apt-get: 404');
    expect(screen.queryByTestId('image-build-desktop')).toBeNull();
  });
});

describe('ImageBuildsStatus', { timeout: 30_000 }, () => {
  it('polls the admin route while images build and stops when all are done', async () => {
    const answers = [building, building, finished({ state: 'done' })];
    const fetchMock = vi.fn(async (path: string) => {
      expect(path).toBe('/api/admin/image-builds');
      const body = answers[Math.min(fetchMock.mock.calls.length - 1, answers.length - 1)];
      return new Response(JSON.stringify(body), { status: 200 });
    });
    vi.stubGlobal('fetch', fetchMock);
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    renderWithTheme(
      <QueryClientProvider client={client}>
        <ImageBuildsStatus pollMs={20} />
      </QueryClientProvider>,
    );
    expect(await screen.findByText('Building the default workspace images')).toBeTruthy();
    await waitFor(() => expect(screen.queryByTestId('image-builds')).toBeNull());
    const calls = fetchMock.mock.calls.length;
    expect(calls).toBe(3);
    await new Promise((r) => setTimeout(r, 150));
    expect(fetchMock.mock.calls.length).toBe(calls);
  });

  it('says so when the progress cannot be read', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(JSON.stringify({ error: { code: 'forbidden', message: 'admins only' } }), {
            status: 403,
          }),
      ),
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    renderWithTheme(
      <QueryClientProvider client={client}>
        <ImageBuildsStatus />
      </QueryClientProvider>,
    );
    expect(await screen.findByText('Image build progress is unavailable')).toBeTruthy();
    expect(screen.getByText('admins only')).toBeTruthy();
  });
});
