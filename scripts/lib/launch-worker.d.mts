export interface LaunchedKeygate {
  url: string;
  adminApiKey: string;
  bundleGzipBytes: number;
  /** CPU seconds the runtime (workerd) has used since launch; NaN where that can't be read. */
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}
export function launchScript(options: { script: string; vars?: Record<string, string>; port?: number; inspectorPort?: number }): Promise<{ url: string; cpuSeconds(): Promise<number>; close(): Promise<void> }>;
export function launchKeygate(options?: {
  vars?: Record<string, string>;
  port?: number;
  bundleDir?: string;
  persist?: { d1: string; kv: string; durableObjects?: string };
  migrate?: boolean;
}): Promise<LaunchedKeygate>;
export function buildWorker(outdir: string, options?: { minify?: boolean }): Promise<string>;
