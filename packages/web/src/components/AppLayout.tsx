import {
  AppShell,
  Avatar,
  Badge,
  Burger,
  Group,
  Menu,
  Text,
  UnstyledButton,
  useMantineColorScheme,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconChevronDown, IconLogout, IconMoon, IconSun } from '@tabler/icons-react';
import { useEffect } from 'react';
import { Outlet, NavLink as RouterLink, useLocation, useNavigate } from 'react-router';
import { useLogout, useMe } from '../api/auth';
import { AdminNav } from './AdminNav';
import classes from './AppLayout.module.css';
import { Logo } from './Logo';

function initials(name: string): string {
  const parts = name.split(/[\s@._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
}

function UserMenu() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const { colorScheme, toggleColorScheme } = useMantineColorScheme();
  const user = me.data;
  if (!user) return null;
  const name = user.displayName || user.username;
  return (
    <Menu position="bottom-end" width={240} shadow="md" withinPortal>
      <Menu.Target>
        <UnstyledButton className={classes.user} aria-label="Account menu">
          <Group gap={8} wrap="nowrap">
            <Avatar color="porthole" radius="xl" size={32}>
              {initials(name)}
            </Avatar>
            <Text size="sm" fw={500} visibleFrom="sm" maw={180} truncate>
              {name}
            </Text>
            <IconChevronDown size={14} />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          <Text size="sm" fw={600} c="var(--mantine-color-text)" truncate>
            {name}
          </Text>
          <Text size="xs" c="dimmed" truncate>
            {user.username}
          </Text>
          {user.isAdmin && (
            <Badge size="xs" mt={6} color="grape">
              Administrator
            </Badge>
          )}
        </Menu.Label>
        <Menu.Divider />
        <Menu.Item
          leftSection={colorScheme === 'dark' ? <IconSun size={16} /> : <IconMoon size={16} />}
          onClick={toggleColorScheme}
        >
          {colorScheme === 'dark' ? 'Light theme' : 'Dark theme'}
        </Menu.Item>
        <Menu.Item
          color="red"
          leftSection={<IconLogout size={16} />}
          onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login', { replace: true }) })}
        >
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

const topLinks = [
  { to: '/', label: 'Workspaces', end: true },
  { to: '/sessions', label: 'My sessions', end: false },
];

/** Header with navigation and the user menu; the admin area adds its sidebar. */
export function AppLayout() {
  const me = useMe();
  const location = useLocation();
  const inAdmin = location.pathname.startsWith('/admin');
  const [navOpened, { toggle, close }] = useDisclosure(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: close the mobile sidebar on navigation
  useEffect(() => close(), [location.pathname, close]);
  const links = me.data?.isAdmin ? [...topLinks, { to: '/admin', label: 'Admin', end: false }] : topLinks;

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={inAdmin ? { width: 232, breakpoint: 'md', collapsed: { mobile: !navOpened } } : undefined}
      padding="lg"
    >
      <AppShell.Header className={classes.header}>
        <Group h="100%" px="lg" justify="space-between" wrap="nowrap">
          <Group gap="lg" wrap="nowrap">
            {inAdmin && (
              <Burger opened={navOpened} onClick={toggle} hiddenFrom="md" size="sm" aria-label="Admin menu" />
            )}
            <RouterLink to="/" className={classes.brand} aria-label="Porthole home">
              <Logo />
            </RouterLink>
            <Group gap={4} wrap="nowrap" component="nav" aria-label="Main">
              {links.map((l) => (
                <RouterLink key={l.to} to={l.to} end={l.end} className={classes.link}>
                  {l.label}
                </RouterLink>
              ))}
            </Group>
          </Group>
          <UserMenu />
        </Group>
      </AppShell.Header>
      {inAdmin && (
        <AppShell.Navbar p="sm">
          <AdminNav />
        </AppShell.Navbar>
      )}
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
