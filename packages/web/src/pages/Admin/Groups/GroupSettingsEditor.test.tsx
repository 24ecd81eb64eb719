// @vitest-environment happy-dom
import { groupSettingsCatalogueView } from '@porthole/contracts';
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type SettingSpec, settingSpecSchema } from '../../../api/admin';
import { renderWithTheme } from '../../../test/render';
import { GroupSettingsEditor, settingLabel } from './GroupSettingsEditor';

afterEach(cleanup);

// The same catalogue the server sends from GET /api/admin/group-settings, through the web's schema.
const catalogue: SettingSpec[] = groupSettingsCatalogueView.map((s) => settingSpecSchema.parse(s));

// Mantine in a simulated DOM is slow on a busy two-core machine.
describe('GroupSettingsEditor', { timeout: 30_000 }, () => {
  it('renders every setting of the catalogue with its description and default', () => {
    renderWithTheme(<GroupSettingsEditor catalogue={catalogue} value={{}} onChange={() => undefined} />);
    expect(catalogue.length).toBeGreaterThan(5);
    for (const spec of catalogue) {
      const row = screen.getByTestId(`setting-${spec.name}`);
      expect(within(row).getByText(settingLabel(spec.name))).toBeTruthy();
      expect(within(row).getByText(spec.description)).toBeTruthy();
      expect(within(row).getByText(/^Default:/).textContent).toContain(
        spec.type === 'boolean' ? (spec.default ? 'on' : 'off') : String(spec.default),
      );
      expect(within(row).getByText('Not set')).toBeTruthy();
    }
    const keepalive = screen.getByTestId('setting-keepalive_expiration');
    expect(within(keepalive).getByText('Default: 3600 seconds')).toBeTruthy();
    expect(within(keepalive).getByText(/range 60/)).toBeTruthy();
  });

  it('overrides a setting starting from its default, and edits the value', () => {
    const onChange = vi.fn();
    const { rerender } = renderWithTheme(
      <GroupSettingsEditor catalogue={catalogue} value={{}} onChange={onChange} />,
    );
    fireEvent.click(screen.getByLabelText('Override max_sessions_per_user'));
    expect(onChange).toHaveBeenLastCalledWith({ max_sessions_per_user: 2 });

    rerender(
      <GroupSettingsEditor catalogue={catalogue} value={{ max_sessions_per_user: 2 }} onChange={onChange} />,
    );
    const row = screen.getByTestId('setting-max_sessions_per_user');
    expect(within(row).getByText('Set here')).toBeTruthy();
    const input = within(row).getByLabelText('Max sessions per user value') as HTMLInputElement;
    expect(input.disabled).toBe(false);
    fireEvent.change(input, { target: { value: '5' } });
    expect(onChange).toHaveBeenLastCalledWith({ max_sessions_per_user: 5 });
  });

  it('drops an override when it is switched off (back to inherited)', () => {
    const onChange = vi.fn();
    renderWithTheme(
      <GroupSettingsEditor
        catalogue={catalogue}
        value={{ allow_pause: false, allow_stop: true }}
        onChange={onChange}
      />,
    );
    fireEvent.click(screen.getByLabelText('Override allow_pause'));
    expect(onChange).toHaveBeenLastCalledWith({ allow_stop: true });
  });

  it('shows a server error on the setting it names', () => {
    renderWithTheme(
      <GroupSettingsEditor
        catalogue={catalogue}
        value={{ keepalive_expiration: 5 }}
        onChange={() => undefined}
        errors={{ 'settings.keepalive_expiration': 'Too small: expected number to be >=60' }}
      />,
    );
    const row = screen.getByTestId('setting-keepalive_expiration');
    expect(within(row).getByText('Too small: expected number to be >=60')).toBeTruthy();
  });
});
