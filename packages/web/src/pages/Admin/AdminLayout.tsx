import { Box } from '@mantine/core';
import { Outlet } from 'react-router';

/** The admin tabs' content area (the sidebar belongs to the app shell). */
export function AdminLayout() {
  return (
    <Box maw={1280} mx="auto">
      <Outlet />
    </Box>
  );
}
