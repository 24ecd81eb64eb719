import { createTheme, type MantineColorsTuple } from '@mantine/core';

const porthole: MantineColorsTuple = [
  '#e7f3ff',
  '#d0e4ff',
  '#a1c6fa',
  '#6ea6f6',
  '#458bf2',
  '#2b7af1',
  '#1b71f2',
  '#0a5fd8',
  '#0054c2',
  '#0048ab',
];

export const theme = createTheme({
  primaryColor: 'porthole',
  colors: { porthole },
  defaultRadius: 'md',
  fontFamily:
    'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  headings: { fontWeight: '650' },
  components: {
    Card: { defaultProps: { withBorder: true, radius: 'md', padding: 'lg' } },
    Paper: { defaultProps: { radius: 'md' } },
    Button: { defaultProps: { radius: 'md' } },
    Badge: {
      defaultProps: { radius: 'sm', variant: 'light' },
      styles: { root: { textTransform: 'none', fontWeight: 600 } },
    },
    Table: { defaultProps: { verticalSpacing: 'sm', highlightOnHover: true } },
    Modal: { defaultProps: { centered: true, radius: 'md' } },
  },
});
