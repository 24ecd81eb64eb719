import { NavLink, Stack, Text } from '@mantine/core';
import {
  IconBoxMultiple,
  IconChecklist,
  IconClockPlay,
  IconCode,
  IconDeviceDesktop,
  IconInfoCircle,
  IconMap2,
  IconServer2,
  IconUsers,
  IconUsersGroup,
} from '@tabler/icons-react';
import { NavLink as RouterLink, useLocation } from 'react-router';

export const adminTabs = [
  { to: '/admin/users', label: 'Users', icon: IconUsers },
  { to: '/admin/groups', label: 'Groups', icon: IconUsersGroup },
  { to: '/admin/workspaces', label: 'Workspaces', icon: IconBoxMultiple },
  { to: '/admin/servers', label: 'Servers', icon: IconServer2 },
  { to: '/admin/zones', label: 'Zones', icon: IconMap2 },
  { to: '/admin/sessions', label: 'Sessions', icon: IconDeviceDesktop },
  { to: '/admin/staging', label: 'Staging', icon: IconClockPlay },
  { to: '/admin/system', label: 'System info', icon: IconInfoCircle },
  { to: '/admin/developers', label: 'Developers', icon: IconCode },
  { to: '/admin/audit', label: 'Audit', icon: IconChecklist },
] as const;

export function AdminNav() {
  const location = useLocation();
  return (
    <Stack gap={2} component="nav" aria-label="Admin">
      <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" py={6}>
        Administration
      </Text>
      {adminTabs.map((t) => (
        <NavLink
          key={t.to}
          component={RouterLink}
          to={t.to}
          label={t.label}
          leftSection={<t.icon size={18} stroke={1.7} />}
          active={location.pathname.startsWith(t.to)}
          variant="light"
          style={{ borderRadius: 'var(--mantine-radius-md)' }}
        />
      ))}
    </Stack>
  );
}
