// @vitest-environment happy-dom
import type { SessionView } from '@porthole/contracts';
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { initialChatState } from '../../modules/chat/chat-state';
import { renderWithTheme } from '../../test/render';
import { SessionPageView, type SessionPageViewProps } from './SessionPageView';

afterEach(cleanup);

const at = '2026-01-01T12:00:00.000Z';
const session: SessionView = {
  id: 's1',
  userId: 'u1',
  username: 'ann',
  imageId: 'i1',
  imageName: 'firefox',
  imageFriendlyName: 'Firefox',
  agentId: 'a1',
  agentName: 'local',
  zoneId: 'z1',
  state: 'running',
  stateReason: null,
  staged: false,
  cores: 1,
  memoryMb: 1024,
  createdAt: at,
  updatedAt: at,
  runningAt: at,
  keepaliveAt: at,
  expiresAt: null,
  lastActivityAt: null,
  shareId: 'ab'.repeat(16),
  streamPath: '/session/s1/',
};

/** A viewer's page on a running shared session whose stream is still connecting. */
function props(over: Partial<SessionPageViewProps> = {}): SessionPageViewProps {
  return {
    loading: false,
    session,
    error: null,
    onRetry: vi.fn(),
    role: 'viewer',
    canManage: false,
    live: true,
    desktop: <div data-testid="desktop" />,
    gone: null,
    vnc: { kind: 'connecting', attempt: 1 },
    now: Date.parse(at),
    keepaliveAt: null,
    keepaliveError: null,
    fullscreen: false,
    scaled: true,
    clipboardText: '',
    busy: false,
    chat: {
      state: { ...initialChatState, link: { kind: 'open' }, available: true },
      send: vi.fn(() => true),
      dismissError: vi.fn(),
      reconnectNow: vi.fn(),
    },
    meUserId: 'u2',
    chatOpen: false,
    chatUnread: 0,
    onChatOpen: vi.fn(),
    onBack: vi.fn(),
    onFullscreen: vi.fn(),
    onScale: vi.fn(),
    onSendClipboard: vi.fn(),
    onCtrlAltDel: vi.fn(),
    onReconnect: vi.fn(),
    onAction: vi.fn(),
    onDelete: vi.fn(async () => undefined),
    ...over,
  };
}

// Mantine in a simulated DOM is slow on a busy two-core machine.
describe('SessionPageView', { timeout: 30_000 }, () => {
  it('shows the desktop while it connects, with the role and no owner tools', () => {
    renderWithTheme(<SessionPageView {...props()} />);
    expect(screen.getByTestId('desktop')).toBeTruthy();
    expect(screen.getByTestId('connection-state').textContent).toBe('Connecting…');
    expect(screen.getByTestId('role-badge').textContent).toBe('viewer');
    expect(screen.queryByRole('button', { name: 'Delete session' })).toBeNull();
    expect(screen.queryByTestId('chat-panel')).toBeNull();
  });

  it('replaces the desktop with why a removed participant is out, and goes back', () => {
    const onBack = vi.fn();
    renderWithTheme(
      <SessionPageView
        {...props({ gone: { code: 4001, reason: 'removed by the owner' }, chatOpen: true, onBack })}
      />,
    );
    expect(screen.queryByTestId('desktop')).toBeNull();
    const gone = screen.getByTestId('session-gone');
    expect(gone.getAttribute('data-code')).toBe('4001');
    expect(gone.textContent).toContain('You were removed from this session');
    // The chat stays, so the participant can read what was said.
    expect(screen.getByTestId('chat-panel')).toBeTruthy();
    fireEvent.click(
      within(screen.getByTestId('session-gone')).getByRole('button', { name: 'Back to workspaces' }),
    );
    expect(onBack).toHaveBeenCalled();
  });

  it('offers the owner Resume on a paused session instead of the desktop', () => {
    const onAction = vi.fn();
    renderWithTheme(
      <SessionPageView
        {...props({ session: { ...session, state: 'paused' }, role: 'owner', canManage: true, onAction })}
      />,
    );
    expect(screen.queryByTestId('desktop')).toBeNull();
    expect(screen.getByText('Session paused')).toBeTruthy();
    // The overlay's own button, not the one in the control bar.
    fireEvent.click(within(screen.getByTestId('session-viewport')).getByRole('button', { name: 'Resume' }));
    expect(onAction).toHaveBeenCalledWith('resume');
  });

  it('shows a loader, then the failed read with a retry', () => {
    const onRetry = vi.fn();
    const { rerender, container } = renderWithTheme(
      <SessionPageView {...props({ loading: true, session: undefined })} />,
    );
    expect(container.querySelector('.mantine-Loader-root')).toBeTruthy();
    rerender(
      <SessionPageView
        {...props({ session: undefined, error: new ApiError(503, 'unavailable', 'down'), onRetry })}
      />,
    );
    expect(screen.getByText('down')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(onRetry).toHaveBeenCalled();
  });
});
