import { Navigate, Route, Routes, useLocation } from 'react-router';
import { AppLayout } from './components/AppLayout';
import { ErrorBoundary } from './components/ErrorBoundary';
import { RequireAdmin, RequireAuth } from './components/RequireAuth';
import { AdminLayout } from './pages/Admin/AdminLayout';
import { GroupsPage } from './pages/Admin/Groups/GroupsPage';
import { ServersPage } from './pages/Admin/Servers/ServersPage';
import { AdminSessionsPage } from './pages/Admin/Sessions/AdminSessionsPage';
import { StagingPage } from './pages/Admin/Staging/StagingPage';
import { SystemInfoPage } from './pages/Admin/SystemInfo/SystemInfoPage';
import { UsersPage } from './pages/Admin/Users/UsersPage';
import { WorkspacesPage } from './pages/Admin/Workspaces/WorkspacesPage';
import { ZonesPage } from './pages/Admin/Zones/ZonesPage';
import { LauncherPage } from './pages/Launcher/LauncherPage';
import { LoginPage } from './pages/Login/LoginPage';
import { MySessionsPage } from './pages/MySessions/MySessionsPage';
import { NotFoundPage } from './pages/NotFound/NotFoundPage';
import { SessionPage } from './pages/Session/SessionPage';

export function App() {
  const location = useLocation();
  return (
    <ErrorBoundary resetKey={location.pathname}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<RequireAuth />}>
          <Route path="/sessions/:id" element={<SessionPage />} />
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
              </Route>
            </Route>
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Route>
      </Routes>
    </ErrorBoundary>
  );
}
