import { useEffect, useState } from 'react';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Bullseye, Spinner } from '@patternfly/react-core';
import { onSessionEnded, setCsrfToken } from './api/clients';
import { MeProvider, type Me } from './session';
import { useLiveUpdates } from './live';
import { ConsoleShell } from './components/ConsoleShell';
import { SignInPage } from './pages/SignInPage';
import { ApplicationsPage } from './pages/ApplicationsPage';
import { NewApplicationPage } from './pages/NewApplicationPage';
import { ApplicationPage } from './pages/ApplicationPage';
import { UsersPage } from './pages/UsersPage';
import { UserPage } from './pages/UserPage';
import { GroupsPage } from './pages/GroupsPage';
import { GroupPage } from './pages/GroupPage';
import { ActivityPage } from './pages/ActivityPage';
import { SettingsPage } from './pages/SettingsPage';
import { NotFoundPage } from './pages/NotFoundPage';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 10_000, retry: (count, error) => count < 2 && !(error instanceof Error && /40[134]/.test(error.message)) },
  },
});

/** GET /api/me: the signed-in admin, or null when nobody is (401). */
async function fetchMe(): Promise<Me | null> {
  const response = await fetch('/api/me', { credentials: 'same-origin' });
  if (response.status === 401) return null;
  if (!response.ok) throw new Error(`The console answered ${response.status}`);
  return (await response.json()) as Me;
}

function Routed() {
  const me = useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: 60_000 });
  const [ended, setEnded] = useState(false);
  useEffect(() => onSessionEnded(() => setEnded(true)), []);

  if (me.isPending) {
    return (
      <Bullseye>
        <Spinner aria-label="Loading the console" />
      </Bullseye>
    );
  }
  if (ended || !me.data) return <SignInPage ended={ended} failed={me.isError ? String(me.error) : undefined} />;
  setCsrfToken(me.data.csrfToken);
  return (
    <MeProvider me={me.data}>
      <Live />
      <ConsoleShell>
        <Routes>
          <Route path="/" element={<Navigate to="/applications" replace />} />
          <Route path="/applications" element={<ApplicationsPage />} />
          <Route path="/applications/new" element={<NewApplicationPage />} />
          <Route path="/applications/:id" element={<ApplicationPage />} />
          <Route path="/users" element={<UsersPage />} />
          <Route path="/users/:id" element={<UserPage />} />
          <Route path="/groups" element={<GroupsPage />} />
          <Route path="/groups/:id" element={<GroupPage />} />
          <Route path="/activity" element={<ActivityPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </ConsoleShell>
    </MeProvider>
  );
}

function Live() {
  useLiveUpdates(queryClient);
  return null;
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <Routed />
      </BrowserRouter>
    </QueryClientProvider>
  );
}
