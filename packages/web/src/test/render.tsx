import { MantineProvider } from '@mantine/core';
import { type RenderResult, render } from '@testing-library/react';
import type { ReactElement, ReactNode } from 'react';
import { theme } from '../theme';

function Wrapper({ children }: { children: ReactNode }) {
  return (
    <MantineProvider theme={theme} env="test">
      {children}
    </MantineProvider>
  );
}

/** Renders inside the app's Mantine theme (what every component expects); rerender keeps it. */
export function renderWithTheme(ui: ReactElement): RenderResult {
  return render(ui, { wrapper: Wrapper });
}
