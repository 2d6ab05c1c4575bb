// The Hono environment shared by every route: bindings plus the typed context variables that
// middleware sets, so `c.get('principal')` is typed everywhere.

export interface Principal {
  /** The workspace every read and write of this request is scoped to. */
  workspaceId: string;
  /** How the caller authenticated. Workspace-scoped API keys add a kind here. */
  kind: 'admin';
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
