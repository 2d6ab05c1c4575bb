export interface LaunchedKeygate {
  url: string;
  adminApiKey: string;
  bundleGzipBytes: number;
  close(): Promise<void>;
}
export function launchScript(options: { script: string; vars?: Record<string, string>; port?: number }): Promise<{ url: string; close(): Promise<void> }>;
export function launchKeygate(options?: {
  vars?: Record<string, string>;
  port?: number;
  bundleDir?: string;
  persist?: { d1: string; kv: string; durableObjects?: string };
  migrate?: boolean;
}): Promise<LaunchedKeygate>;
export function buildWorker(outdir: string, options?: { minify?: boolean }): Promise<string>;
