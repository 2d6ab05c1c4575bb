export interface FakeOpenAI {
  url: string;
  close(): Promise<void>;
}
export function startFakeOpenAI(options?: { port?: number; host?: string }): Promise<FakeOpenAI>;
export function fakeStreamFrames(model: string, includeUsage?: boolean, usageOnLastChoice?: boolean): string[];
