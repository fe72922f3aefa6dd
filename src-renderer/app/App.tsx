// The application shell: theme (following the system), providers and the main window.
import { CssBaseline, ThemeProvider, useMediaQuery } from '@mui/material';
import { useMemo } from 'react';
import { ApiProvider } from '../api/hooks.js';
import type { ApiConnection } from '../api/apiConnection.js';
import { MainWindow } from './MainWindow.js';
import { CatalogueProvider } from './catalogue.js';
import { NotificationsProvider } from './notifications.js';
import { createAppTheme } from './theme.js';

export function App({ connection }: { connection: ApiConnection }) {
  const dark = useMediaQuery('(prefers-color-scheme: dark)', { noSsr: true });
  const theme = useMemo(() => createAppTheme(dark ? 'dark' : 'light'), [dark]);
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <ApiProvider connection={connection}>
        <NotificationsProvider>
          <CatalogueProvider>
            <MainWindow />
          </CatalogueProvider>
        </NotificationsProvider>
      </ApiProvider>
    </ThemeProvider>
  );
}
