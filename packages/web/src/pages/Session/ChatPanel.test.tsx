// @vitest-environment happy-dom
import type { ChatMessage } from '@porthole/contracts';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ChatState, initialChatState } from '../../modules/chat/chat-state';
import type { Chat } from '../../modules/chat/use-chat';
import { renderWithTheme } from '../../test/render';
import { ChatPanel } from './ChatPanel';

afterEach(cleanup);

const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const at = '2026-01-01T12:00:00.000Z';
const message = (id: string, over: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  kind: 'message',
  userId: 'u2',
  username: 'bob',
  text: id,
  at,
  ...over,
});

function chatWith(state: Partial<ChatState>, send = vi.fn(() => true)): Chat {
  return {
    state: { ...initialChatState, link: { kind: 'open' }, available: true, ...state },
    send,
    dismissError: vi.fn(),
    reconnectNow: vi.fn(),
  };
}

// Mantine in a simulated DOM is slow on a busy two-core machine.
describe('ChatPanel', { timeout: 30_000 }, () => {
  it('renders message text and usernames as text, never as HTML', () => {
    const { container } = renderWithTheme(
      <ChatPanel
        chat={chatWith({
          messages: [message('m1', { text: HOSTILE, username: '<b>bold</b>' })],
          presence: [{ userId: 'u2', username: '<i>eve</i>', role: 'viewer' }],
        })}
        meUserId="u1"
        onClose={() => undefined}
      />,
    );
    expect(screen.getByTestId('chat-text').textContent).toBe(HOSTILE);
    expect(screen.getByTestId('chat-author').textContent).toBe('<b>bold</b>');
    expect(screen.getByTestId('chat-person').textContent).toContain('<i>eve</i>');
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b, i')).toBeNull();
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('styles notices apart from messages and groups presence by person', () => {
    renderWithTheme(
      <ChatPanel
        chat={chatWith({
          messages: [
            message('j', { kind: 'system', text: 'bob joined as viewer' }),
            message('m', { text: 'hello' }),
            message('l', { kind: 'leave', text: 'bob left' }),
          ],
          presence: [
            { userId: 'u1', username: 'ann', role: 'owner' },
            { userId: 'u2', username: 'bob', role: 'viewer' },
            { userId: 'u2', username: 'bob', role: 'viewer' },
          ],
        })}
        meUserId="u1"
        onClose={() => undefined}
      />,
    );
    expect(screen.getAllByTestId('chat-notice').map((n) => n.getAttribute('data-kind'))).toEqual([
      'system',
      'leave',
    ]);
    expect(screen.getAllByTestId('chat-message')).toHaveLength(1);
    expect(screen.getAllByTestId('chat-person').map((p) => p.textContent)).toEqual(['ann (you)', 'bob']);
    expect(screen.getByText('Here now (2)')).toBeTruthy();
  });

  it('sends the trimmed text on Enter and clears the input; caps the input at 2000', () => {
    const send = vi.fn(() => true);
    renderWithTheme(<ChatPanel chat={chatWith({}, send)} meUserId="u1" onClose={() => undefined} />);
    const input = screen.getByLabelText('Chat message') as HTMLTextAreaElement;
    expect(input.maxLength).toBe(2000);
    fireEvent.change(input, { target: { value: '  hi there ' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(send).toHaveBeenCalledWith('hi there');
    expect(input.value).toBe('');
  });

  it('says when chat is unavailable and disables sending; shows server errors', () => {
    renderWithTheme(
      <ChatPanel
        chat={chatWith({ available: false, error: 'slow down: too many messages (try again in 3 s)' })}
        meUserId="u1"
        onClose={() => undefined}
      />,
    );
    expect(screen.getByTestId('chat-unavailable')).toBeTruthy();
    expect((screen.getByLabelText('Chat message') as HTMLTextAreaElement).disabled).toBe(true);
    expect(screen.getByTestId('chat-error').textContent).toContain('slow down');
  });

  it('says why the chat closed for good', () => {
    renderWithTheme(
      <ChatPanel
        chat={chatWith({ link: { kind: 'closed', code: 4001, reason: 'removed by the owner' } })}
        meUserId="u1"
        onClose={() => undefined}
      />,
    );
    expect(screen.getByTestId('chat-closed').textContent).toContain('removed by the owner');
  });
});
