import { Suspense, lazy, useEffect, useRef, useState } from 'react';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Bullseye, Spinner } from '@patternfly/react-core';
import { consoleApi, onSessionEnded, setCsrfToken } from './api/clients';
import { applicationsListPlace, applicationsListQuery } from './components/applications/list-query';
import { MeProvider, type Me } from './session';
import { useLiveUpdates } from './live';
import { ConsoleShell } from './components/ConsoleShell';
import { SignInPage } from './pages/SignInPage';

/** Each screen is its own chunk: the first page loads only the shell, the data layer and itself. */
/** Each screen's code, fetched when first shown (each is its own chunk). */
const screens = {
  applications: () => import('./pages/ApplicationsPage'),
  newApplication: () => import('./pages/NewApplicationPage'),
  application: () => import('./pages/ApplicationPage'),
  users: () => import('./pages/UsersPage'),
  user: () => import('./pages/UserPage'),
  groups: () => import('./pages/GroupsPage'),
  group: () => import('./pages/GroupPage'),
  activity: () => import('./pages/ActivityPage'),
  settings: () => import('./pages/SettingsPage'),
  notFound: () => import('./pages/NotFoundPage'),
};

/**
 * The screen an address shows. Its code is fetched at once, beside /api/me, instead of after it:
 * the first screen then waits for the slower of the two, not for both in turn.
 */
function screenFor(pathname: string): keyof typeof screens {
  const [, first = '', second] = pathname.split('/');
  if (first === '' || first === 'applications') return second === 'new' ? 'newApplication' : second ? 'application' : 'applications';
  if (first === 'users') return second ? 'user' : 'users';
  if (first === 'groups') return second ? 'group' : 'groups';
  if (first === 'activity' || first === 'settings') return first;
  return 'notFound';
}
void screens[screenFor(window.location.pathname)]();

const ApplicationsPage = lazy(() => screens.applications().then((m) => ({ default: m.ApplicationsPage })));
const NewApplicationPage = lazy(() => screens.newApplication().then((m) => ({ default: m.NewApplicationPage })));
const ApplicationPage = lazy(() => screens.application().then((m) => ({ default: m.ApplicationPage })));
const UsersPage = lazy(() => screens.users().then((m) => ({ default: m.UsersPage })));
const UserPage = lazy(() => screens.user().then((m) => ({ default: m.UserPage })));
const GroupsPage = lazy(() => screens.groups().then((m) => ({ default: m.GroupsPage })));
const GroupPage = lazy(() => screens.group().then((m) => ({ default: m.GroupPage })));
const ActivityPage = lazy(() => screens.activity().then((m) => ({ default: m.ActivityPage })));
const SettingsPage = lazy(() => screens.settings().then((m) => ({ default: m.SettingsPage })));
const NotFoundPage = lazy(() => screens.notFound().then((m) => ({ default: m.NotFoundPage })));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 10_000, retry: (count, error) => count < 2 && !(error instanceof Error && /40[134]/.test(error.message)) },
  },
});

// The list is the first screen most visits open: its first page is asked for now, beside /api/me.
if (screenFor(window.location.pathname) === 'applications') {
  void queryClient.prefetchQuery(applicationsListQuery(applicationsListPlace(new URLSearchParams(window.location.search))));
}

/** GET /api/me: the signed-in admin, or null when nobody is (401). */
async function fetchMe(): Promise<Me | null> {
  const { data, response } = await consoleApi.GET('/api/me');
  if (response.status === 401) return null;
  if (!data) throw new Error(`The console answered ${response.status}`);
  return data;
}

function Routed() {
  const me = useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: 60_000 });
  const [ended, setEnded] = useState(false);
  // A 401 ends a session only once there is one: the list asked for beside /api/me gets one too
  // when nobody is signed in, and that is the sign-in screen, not a session that ended.
  const signedIn = useRef(false);
  signedIn.current = Boolean(me.data);
  useEffect(() => onSessionEnded(() => signedIn.current && setEnded(true)), []);

  if (me.isPending) return <Loading />;
  if (ended || !me.data) return <SignInPage ended={ended} failed={me.isError ? String(me.error) : undefined} />;
  setCsrfToken(me.data.csrfToken);
  return (
    <MeProvider me={me.data}>
      <Live />
      <ConsoleShell>
        <Suspense fallback={<Loading />}>
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
        </Suspense>
      </ConsoleShell>
    </MeProvider>
  );
}

function Loading() {
  return (
    <Bullseye>
      <Spinner aria-label="Loading" />
    </Bullseye>
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
