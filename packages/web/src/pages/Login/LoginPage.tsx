import { Center, Paper, Stack, Text, Title } from '@mantine/core';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useLogin, useMe } from '../../api/auth';
import { LogoMark } from '../../components/Logo';
import { LoginForm } from './LoginForm';

/** Only same-site paths: `next` must not send the user to another origin. */
export function safeNext(next: string | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

export function LoginPage() {
  const me = useMe();
  const login = useLogin();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  if (me.data) return <Navigate to={next} replace />;

  return (
    <Center
      mih="100vh"
      p="md"
      style={{
        background: 'linear-gradient(160deg, var(--mantine-color-porthole-0), var(--mantine-color-body) 55%)',
      }}
    >
      <Stack w="100%" maw={420} gap="lg">
        <Stack align="center" gap="xs">
          <LogoMark size={48} />
          <Title order={2}>Sign in to Porthole</Title>
          <Text c="dimmed" size="sm">
            Your desktops and apps, in the browser.
          </Text>
        </Stack>
        <Paper withBorder shadow="md" p="xl" radius="lg">
          <LoginForm
            onSubmit={async (values) => {
              await login.mutateAsync(values);
              navigate(next, { replace: true });
            }}
          />
        </Paper>
      </Stack>
    </Center>
  );
}
