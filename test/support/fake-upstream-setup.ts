// Starts the fake OpenAI server in Node for the workerd tests; they reach it over loopback,
// at the network edge, exactly as the Worker would reach the real API.
import type { TestProject } from 'vitest/node';
import { startFakeOpenAI } from '../../scripts/lib/fake-openai.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    fakeUpstreamUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const fake = await startFakeOpenAI();
  project.provide('fakeUpstreamUrl', fake.url);
  return () => fake.close();
}
