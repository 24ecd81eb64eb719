import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { AppLayout } from './components/AppLayout';
import { ErrorBoundary } from './components/ErrorBoundary';
import { LoadingState } from './components/QueryState';
import { RequireAdmin, RequireAuth } from './components/RequireAuth';
import { AdminLayout } from './pages/Admin/AdminLayout';
import { JoinPage } from './pages/Join/JoinPage';
import { LauncherPage } from './pages/Launcher/LauncherPage';
import { LoginPage } from './pages/Login/LoginPage';
import { MySessionsPage } from './pages/MySessions/MySessionsPage';
import { NotFoundPage } from './pages/NotFound/NotFoundPage';

// The viewer (noVNC) and the admin area load on demand: the launcher stays small.
const AuditPage = lazy(() => import('./pages/Admin/Audit/AuditPage').then((m) => ({ default: m.AuditPage })));
const DevelopersPage = lazy(() =>
  import('./pages/Admin/Developers/DevelopersPage').then((m) => ({ default: m.DevelopersPage })),
);
const GroupsPage = lazy(() =>
  import('./pages/Admin/Groups/GroupsPage').then((m) => ({ default: m.GroupsPage })),
);
const ServersPage = lazy(() =>
  import('./pages/Admin/Servers/ServersPage').then((m) => ({ default: m.ServersPage })),
);
const AdminSessionsPage = lazy(() =>
  import('./pages/Admin/Sessions/AdminSessionsPage').then((m) => ({ default: m.AdminSessionsPage })),
);
const StagingPage = lazy(() =>
  import('./pages/Admin/Staging/StagingPage').then((m) => ({ default: m.StagingPage })),
);
const SystemInfoPage = lazy(() =>
  import('./pages/Admin/SystemInfo/SystemInfoPage').then((m) => ({ default: m.SystemInfoPage })),
);
const UsersPage = lazy(() => import('./pages/Admin/Users/UsersPage').then((m) => ({ default: m.UsersPage })));
const WorkspacesPage = lazy(() =>
  import('./pages/Admin/Workspaces/WorkspacesPage').then((m) => ({ default: m.WorkspacesPage })),
);
const ZonesPage = lazy(() => import('./pages/Admin/Zones/ZonesPage').then((m) => ({ default: m.ZonesPage })));
const SessionPage = lazy(() =>
  import('./pages/Session/SessionPage').then((m) => ({ default: m.SessionPage })),
);

export function App() {
  const location = useLocation();
  return (
    <ErrorBoundary resetKey={location.pathname}>
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route element={<RequireAuth />}>
            <Route path="/sessions/:id" element={<SessionPage />} />
            <Route path="/join/:shareId" element={<JoinPage />} />
            <Route element={<AppLayout />}>
              <Route index element={<LauncherPage />} />
              <Route path="/sessions" element={<MySessionsPage />} />
              <Route path="/admin" element={<RequireAdmin />}>
                <Route element={<AdminLayout />}>
                  <Route index element={<Navigate to="/admin/users" replace />} />
                  <Route path="users" element={<UsersPage />} />
                  <Route path="groups" element={<GroupsPage />} />
                  <Route path="workspaces" element={<WorkspacesPage />} />
                  <Route path="servers" element={<ServersPage />} />
                  <Route path="zones" element={<ZonesPage />} />
                  <Route path="sessions" element={<AdminSessionsPage />} />
                  <Route path="staging" element={<StagingPage />} />
                  <Route path="system" element={<SystemInfoPage />} />
                  <Route path="developers" element={<DevelopersPage />} />
                  <Route path="audit" element={<AuditPage />} />
                </Route>
              </Route>
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Route>
        </Routes>
      </Suspense>
    </ErrorBoundary>
  );
}
