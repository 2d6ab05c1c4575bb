export function isPlaceholderId(id: string | undefined): boolean;
export function readDeployConfig(text: string): {
  workerName: string;
  databaseName: string;
  databaseId: string | undefined;
  namespaceTitle: string;
  namespaceId: string | undefined;
};
export function withResourceIds(text: string, ids: { databaseId: string; namespaceId: string }): string;
export function jsonArrayIn(output: string): unknown[];
export function databaseIdIn(output: string): string | undefined;
export function namespaceIdIn(output: string): string | undefined;
export function deployedUrlIn(output: string): string | undefined;
