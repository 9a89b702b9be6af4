import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError } from './api/client.ts';
import { App } from './App.tsx';
import './i18n.ts';
import { forgetSession } from './session.ts';
import './styles.css';

// A 401 from any call means the session ended: forget it, and the app shows the sign-in page.
const onError = (err: Error) => {
  if (err instanceof ApiError && err.status === 401) forgetSession(queryClient);
};
const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({
    onError: (err, _vars, _ctx, mutation) => {
      if (mutation.options.mutationKey?.[0] !== 'sign-in') onError(err);
    },
  }),
  defaultOptions: { queries: { staleTime: 5_000, retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2 } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
