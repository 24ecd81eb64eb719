import { Center, Loader } from '@mantine/core';
import { Navigate, Outlet, useLocation } from 'react-router';
import { useMe } from '../api/auth';
import { ErrorAlert } from './ErrorAlert';

/** Signed-out users go to the sign-in page, which brings them back here afterwards. */
export function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) {
    return (
      <Center h="100vh">
        <Loader />
      </Center>
    );
  }
  if (me.isError) {
    return (
      <Center h="100vh" p="xl">
        <ErrorAlert error={me.error} onRetry={() => void me.refetch()} />
      </Center>
    );
  }
  if (!me.data) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

export function RequireAdmin() {
  const me = useMe();
  if (!me.data?.isAdmin) return <Navigate to="/" replace />;
  return <Outlet />;
}
