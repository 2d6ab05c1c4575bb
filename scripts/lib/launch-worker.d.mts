export interface LaunchedKeygate {
  url: string;
  adminApiKey: string;
  close(): Promise<void>;
}
export function launchKeygate(options?: { vars?: Record<string, string>; port?: number }): Promise<LaunchedKeygate>;
