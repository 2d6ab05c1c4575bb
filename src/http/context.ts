// The Hono environment shared by every route: bindings plus the typed context variables that
// middleware sets, so `c.get('principal')` is typed everywhere.

import type { Principal } from '../auth/principal';

export type { Principal } from '../auth/principal';

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
