// Imported first by the entry points, before any schema is built. The page's Content-Security-Policy
// has no 'unsafe-eval'; zod would otherwise probe `Function('')` (a reported CSP violation) to
// compile faster object parsers. The interpreted parsers are fast enough for API messages.
import { z } from 'zod';

z.config({ jitless: true });
