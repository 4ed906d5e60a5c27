import { useState, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import {
  Button,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadLogo,
  MastheadMain,
  MastheadToggle,
  Nav,
  NavGroup,
  NavItem,
  Page,
  PageSidebar,
  PageSidebarBody,
  PageToggleButton,
  SkipToContent,
  Toolbar,
  ToolbarContent,
  ToolbarGroup,
  ToolbarItem,
} from '@patternfly/react-core';
import { signedInName } from '../person-name';
import { useMe } from '../session';
import { signOut } from './sign-out';

const SECTIONS: Array<{ group: string; items: Array<{ to: string; label: string }> }> = [
  {
    group: 'User authentication',
    items: [{ to: '/applications', label: 'SSO Applications' }],
  },
  {
    group: 'Directory',
    items: [
      { to: '/users', label: 'Users' },
      { to: '/groups', label: 'User Groups' },
    ],
  },
  {
    group: 'Insights',
    items: [
      { to: '/activity', label: 'Activity' },
      { to: '/settings', label: 'Settings' },
    ],
  },
];

const ROLE_LABEL = { administrator: 'Administrator', 'help-desk': 'Help desk', 'read-only': 'Read-only' } as const;

/** The frame of every screen: who is signed in and where, the navigation, and sign-out. */
export function ConsoleShell({ children }: { children: ReactNode }) {
  const me = useMe();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const [sidebarOpen, setSidebarOpen] = useState(() => window.innerWidth >= 1200);
  const [signingOut, setSigningOut] = useState(false);

  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadToggle>
          <PageToggleButton
            isHamburgerButton
            aria-label="Navigation"
            isSidebarOpen={sidebarOpen}
            onSidebarToggle={() => setSidebarOpen((open) => !open)}
          />
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo component="a" href="/applications" className="console-brand">
            JIT IdP · Admin console
          </MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight isStatic>
          <ToolbarContent>
            <ToolbarGroup align={{ default: 'alignEnd' }} gap={{ default: 'gapMd' }}>
              <ToolbarItem visibility={{ default: 'hidden', md: 'visible' }}>
                <span data-testid="signed-in-as">
                  {signedInName(me.user)} · {ROLE_LABEL[me.role]} · {me.organization.name}
                </span>
              </ToolbarItem>
              <ToolbarItem>
                <Button
                  variant="secondary"
                  isLoading={signingOut}
                  onClick={() => {
                    setSigningOut(true);
                    void signOut(me.csrfToken);
                  }}
                >
                  Sign out
                </Button>
              </ToolbarItem>
            </ToolbarGroup>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );

  const sidebar = (
    <PageSidebar isSidebarOpen={sidebarOpen}>
      <PageSidebarBody>
        <Nav aria-label="Console">
          {/* NavGroup holds its own list: each group is a titled section of links, not an item of an outer list. */}
          {SECTIONS.map((section) => (
            <NavGroup key={section.group} title={section.group}>
              {section.items.map((item) => (
                <NavItem
                  key={item.to}
                  to={item.to}
                  isActive={pathname === item.to || pathname.startsWith(`${item.to}/`)}
                  onClick={(event) => {
                    event.preventDefault();
                    void navigate(item.to);
                    if (window.innerWidth < 1200) setSidebarOpen(false);
                  }}
                >
                  {item.label}
                </NavItem>
              ))}
            </NavGroup>
          ))}
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );

  return (
    <Page
      masthead={masthead}
      sidebar={sidebar}
      mainContainerId="main"
      skipToContent={<SkipToContent href="#main">Skip to content</SkipToContent>}
    >
      {children}
    </Page>
  );
}
