import type { ComponentType } from 'react';
import type { RouteObject } from 'react-router';
import { Layout } from './components/Layout.js';
import { Loading } from './components/Loading.js';
import { RequireRole } from './components/RequireRole.js';
import { HomePage } from './pages/Home.js';
import { LoginPage } from './pages/Login.js';
import { NotFoundPage } from './pages/NotFound.js';
import { RegisterPage } from './pages/Register.js';
import { RouteErrorPage } from './pages/RouteError.js';

/**
 * A page loaded when first opened: a student never downloads the admin's charts, nor an admin the
 * booking calendar.
 */
function page(load: () => Promise<ComponentType>): Pick<RouteObject, 'lazy'> {
  return { lazy: async () => ({ Component: await load() }) };
}

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    errorElement: <RouteErrorPage />,
    hydrateFallbackElement: <Loading />,
    children: [
      {
        errorElement: <RouteErrorPage />,
        children: [
          { index: true, element: <HomePage /> },
          { path: 'login', element: <LoginPage /> },
          { path: 'register', element: <RegisterPage /> },
          {
            element: <RequireRole roles={['student']} />,
            children: [
              { path: 'book', ...page(async () => (await import('./pages/student/Book.js')).BookPage) },
              {
                path: 'sessions',
                ...page(async () => (await import('./pages/student/MySessions.js')).MySessionsPage),
              },
              {
                path: 'my-data',
                ...page(async () => (await import('./pages/student/MyData.js')).MyDataPage),
              },
            ],
          },
          {
            // Any participant (and admins) may open a session's page; Stripe Checkout returns the
            // student here: /bookings/{id}?payment=done|cancelled
            element: <RequireRole roles={['student', 'mentor', 'admin']} />,
            children: [
              {
                path: 'bookings/:id',
                ...page(async () => (await import('./pages/student/BookingPage.js')).BookingPage),
              },
            ],
          },
          {
            path: 'mentor',
            element: <RequireRole roles={['mentor']} />,
            children: [
              {
                path: 'calendar',
                ...page(async () => (await import('./pages/mentor/Calendar.js')).MentorCalendarPage),
              },
              {
                path: 'availability',
                ...page(async () => (await import('./pages/mentor/Availability.js')).MentorAvailabilityPage),
              },
              {
                path: 'profile',
                ...page(async () => (await import('./pages/mentor/Profile.js')).MentorProfilePage),
              },
            ],
          },
          {
            path: 'admin',
            element: <RequireRole roles={['admin']} />,
            children: [
              {
                index: true,
                ...page(async () => (await import('./pages/admin/Dashboard.js')).AdminDashboardPage),
              },
              {
                path: 'bookings',
                ...page(async () => (await import('./pages/admin/Bookings.js')).AdminBookingsPage),
              },
              {
                path: 'mentors',
                ...page(async () => (await import('./pages/admin/Mentors.js')).AdminMentorsPage),
              },
              {
                path: 'students',
                ...page(async () => (await import('./pages/admin/Students.js')).AdminStudentsPage),
              },
              {
                path: 'payments',
                ...page(async () => (await import('./pages/admin/Payments.js')).AdminPaymentsPage),
              },
              {
                path: 'notifications',
                ...page(async () => (await import('./pages/admin/Notifications.js')).AdminNotificationsPage),
              },
              {
                path: 'audit',
                ...page(async () => (await import('./pages/admin/AuditLog.js')).AdminAuditLogPage),
              },
            ],
          },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
