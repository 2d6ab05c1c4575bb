// Azure deployments under one virtual key: their schemas (as the admin API takes them and as they
// are stored), the rules a list must keep, the choice of a deployment for a call, and which
// api-versions take `stream_options`.

import * as z from 'zod/mini';
import { acceptingBothSpellings } from '../../schemas/field-names';
import { invalidRequest } from '../../errors';

const deploymentName = z
  .string()
  .check(z.trim(), z.regex(/^(?!\.+$)[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores, and not only dots'));
const apiVersion = z.string().check(z.trim(), z.regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be an Azure api-version such as 2024-10-21'));

/** One entry as the admin API accepts it. Entries arrive as the user wrote them (the seed mixes
 * `deploymentName` with `is_default`), so both spellings are accepted here too. */
export const DeploymentEntry = acceptingBothSpellings(
  z.strictObject({
    deployment_name: deploymentName,
    api_version: apiVersion,
    alias: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))),
    model: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
    is_default: z.optional(z.boolean()),
  }),
);

export const DeploymentList = z.array(DeploymentEntry).check(z.minLength(1, 'must list at least one deployment'));

/** One deployment as stored. Names are checked again on read: they become URL path segments. */
export const StoredDeployment = z.object({
  deployment_name: deploymentName,
  api_version: apiVersion,
  alias: z.nullable(z.string()),
  is_default: z.boolean(),
  /** The underlying model, for pricing; absent on keys stored before it existed. */
  model: z.optional(z.nullable(z.string())),
});

export type Deployment = z.infer<typeof StoredDeployment>;

/** Checks the rules a deployment list must keep, and returns it in stored form. */
export function checkedDeployments(entries: z.infer<typeof DeploymentList>): Deployment[] {
  const deployments = entries.map((entry) => ({
    deployment_name: entry.deployment_name,
    api_version: entry.api_version,
    alias: entry.alias ?? null,
    is_default: entry.is_default === true,
    ...(entry.model ? { model: entry.model } : {}),
  }));
  const defaults = deployments.filter((deployment) => deployment.is_default).length;
  if (defaults !== 1) {
    throw invalidRequest(
      'invalid_deployment_config',
      `deployment_config: exactly one deployment must have is_default: true, and ${defaults} ${defaults === 1 ? 'has' : 'have'}`,
      'deployment_config',
    );
  }
  // A model name must pick one deployment: no alias or deployment name may name two entries.
  const owner = new Map<string, number>();
  deployments.forEach((deployment, index) => {
    for (const name of new Set([deployment.deployment_name, deployment.alias].filter((value): value is string => value !== null))) {
      const other = owner.get(name);
      if (other !== undefined && other !== index) {
        throw invalidRequest(
          'invalid_deployment_config',
          `deployment_config: aliases and deployment names must be unique, and "${name}" names entries ${other} and ${index}`,
          'deployment_config',
        );
      }
      owner.set(name, index);
    }
  });
  return deployments;
}

/**
 * The deployment a call's `model` picks: an alias first, then a deployment name. An empty or
 * missing model, or one that matches nothing, picks the default (as Portkey does).
 */
export function chooseDeployment(deployments: readonly Deployment[], model: unknown): Deployment {
  if (typeof model === 'string' && model !== '') {
    const chosen =
      deployments.find((deployment) => deployment.alias === model) ?? deployments.find((deployment) => deployment.deployment_name === model);
    if (chosen) return chosen;
  }
  return deployments.find((deployment) => deployment.is_default) ?? deployments[0]!;
}

/**
 * Whether an api-version accepts `stream_options`: dated versions from 2024-09-01 on (older ones
 * refuse the field with a 400), and the undated v1 / preview / latest surfaces.
 */
export function acceptsStreamOptions(apiVersion: string): boolean {
  const date = /^(\d{4}-\d{2}-\d{2})/.exec(apiVersion)?.[1];
  return date === undefined || date >= '2024-09-01';
}
