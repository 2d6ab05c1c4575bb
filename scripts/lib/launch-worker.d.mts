export interface LaunchedKeygate {
  url: string;
  adminApiKey: string;
  bundleGzipBytes: number;
  close(): Promise<void>;
}
export function launchScript(options: { script: string; vars?: Record<string, string>; port?: number }): Promise<{ url: string; close(): Promise<void> }>;
export function launchKeygate(options?: { vars?: Record<string, string>; port?: number }): Promise<LaunchedKeygate>;
