import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { AppProviders } from './providers.js';
import { routes } from './routes.js';
import { readStoredToken } from './session.js';
import { makeQueryClient, makeTrpcClient } from './trpc.js';
import './styles.css';

const queryClient = makeQueryClient();
const trpcClient = makeTrpcClient(readStoredToken);
const router = createBrowserRouter(routes);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <AppProviders queryClient={queryClient} trpcClient={trpcClient}>
      <RouterProvider router={router} />
    </AppProviders>
  </StrictMode>,
);
