import { CalendarCheck } from 'lucide-react';
import { useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { type Role, useSession } from '../session.js';

interface NavItem {
  to: string;
  label: string;
}

const navByRole: Record<Role, NavItem[]> = {
  student: [
    { to: '/book', label: 'Book' },
    { to: '/sessions', label: 'My sessions' },
    { to: '/my-data', label: 'My data' },
  ],
  mentor: [
    { to: '/mentor/calendar', label: 'Calendar' },
    { to: '/mentor/availability', label: 'Availability' },
    { to: '/mentor/profile', label: 'Profile' },
  ],
  admin: [
    { to: '/admin', label: 'Dashboard' },
    { to: '/admin/bookings', label: 'Bookings' },
    { to: '/admin/mentors', label: 'Mentors' },
    { to: '/admin/students', label: 'Students' },
    { to: '/admin/payments', label: 'Payments' },
    { to: '/admin/notifications', label: 'Notifications' },
    { to: '/admin/audit', label: 'Audit log' },
  ],
};

const anonymousNav: NavItem[] = [
  { to: '/login', label: 'Sign in' },
  { to: '/register', label: 'Register' },
];

/** Sets the browser tab's title for a page: "Book a session · Mentor sessions". */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Mentor sessions`;
  }, [title]);
}

/** The frame of every page: skip link, header with the product name and the role's links, main. */
export function Layout() {
  const { me, status, signOut } = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(pathname);

  // After a client-side navigation, a screen reader would stay on the link just followed; moving
  // focus to the new page's content is what a full page load would have done.
  useEffect(() => {
    if (pathname === firstPath.current) return;
    firstPath.current = pathname;
    main.current?.focus();
  }, [pathname]);

  const items = me ? navByRole[me.role] : status === 'anonymous' ? anonymousNav : [];

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="site-header-inner">
          <Link to="/" className="brand">
            <CalendarCheck aria-hidden="true" />
            <span>Mentor sessions</span>
          </Link>
          <nav aria-label="Main" className="site-nav">
            <ul>
              {items.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={item.to === '/admin'}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          {me && (
            <div className="account">
              <span className="account-email" title={me.email}>
                {me.email}
              </span>
              <button
                type="button"
                className="button button-secondary"
                onClick={async () => {
                  await signOut();
                  navigate('/login', { replace: true });
                }}
              >
                Sign out
              </button>
            </div>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="page">
        <Outlet />
      </main>
    </>
  );
}
