// Descriptions and examples for the admin API's schemas, applied only when the OpenAPI document is
// generated.
//
// Why they are not on the schemas (`.check(z.describe(…))`, `z.meta({ example })`): the schema
// modules are part of the Worker, and every string they hold ships in its bundle, which must stay
// within 60 KiB gzipped; the document is built at development time (`npm run openapi`) and only
// needs this text then. So the schema modules keep validation (with its error messages) and nothing
// else, and the *-docs.ts modules beside them say what each field means, naming it by the schema
// and field it documents. Only openapi-components.ts imports them, which keeps them out of the
// bundle. The text lands exactly where `z.describe` would have put it: on the field's own schema,
// through the metadata registry z.toJSONSchema reads.

import * as z from 'zod/mini';

/**
 * A field's documentation: a description, or the metadata the document shows. `anyOf` describes
 * what a field checked by hand (a z.transform, which JSON Schema cannot show) accepts.
 */
export type Doc = string | { description?: string; example?: unknown; format?: string; anyOf?: unknown[] };

/** Documents one schema instance. */
export interface DocEntry {
  schema: z.ZodMiniType;
  doc: Doc;
  /** Where the entry comes from, for error messages. */
  label: string;
}

/** The field names of an object schema (of each object of a union), or of a record of field schemas. */
type FieldName<Source> = Source extends z.ZodMiniType ? keyof z.output<Source> & string : keyof Source & string;

type Fields = Record<string, z.ZodMiniType>;

interface Def {
  type: string;
  shape?: Fields;
  out?: z.ZodMiniType;
  options?: z.ZodMiniType[];
}

/** The objects a schema validates with: itself, the end of a pipe, or each member of a union. */
function shapesOf(schema: z.ZodMiniType): Fields[] {
  const def = schema._zod.def as Def;
  if (def.type === 'object') return [def.shape!];
  if (def.type === 'pipe') return shapesOf(def.out!);
  if (def.type === 'union') return def.options!.flatMap(shapesOf);
  throw new Error(`openapi-docs: a ${def.type} schema has no fields to document`);
}

/**
 * Documents fields of an object schema (each object of a pipe or union), or of a record of field
 * schemas such as a provider's createFields. The text goes on each field's own schema, so every
 * object using that same schema shows it.
 */
export function fields<Source extends z.ZodMiniType | Fields>(
  source: Source,
  docs: Partial<Record<FieldName<Source>, Doc>>,
): DocEntry[] {
  const shapes = '_zod' in source ? shapesOf(source as z.ZodMiniType) : [source as Fields];
  return Object.entries(docs as Record<string, Doc>).flatMap(([name, doc]) => {
    const found = shapes.flatMap((shape) => (Object.hasOwn(shape, name) ? [shape[name]!] : []));
    if (found.length === 0) throw new Error(`openapi-docs: no field ${name} to document`);
    return found.map((schema) => ({ schema, doc, label: name }));
  });
}

/** Documents a schema itself, wherever it is used. */
export function schema(target: z.ZodMiniType, doc: Doc, label = 'schema'): DocEntry[] {
  return [{ schema: target, doc, label }];
}

const applied = new WeakMap<z.ZodMiniType, { doc: string; label: string }>();

/**
 * Adds the entries to the metadata z.toJSONSchema reads, as `z.describe` and `z.meta` did.
 * One schema instance used by two fields shows the same text on both; documenting them differently
 * throws, so give each field its own instance (as shared-schemas.ts's factories do).
 */
export function applyDocs(entries: DocEntry[]): void {
  for (const { schema: target, doc, label } of entries) {
    const meta = typeof doc === 'string' ? { description: doc } : doc;
    const text = JSON.stringify(meta);
    const before = applied.get(target);
    if (before) {
      if (before.doc !== text) {
        throw new Error(`openapi-docs: ${label} and ${before.label} share one schema but are documented differently; give each its own`);
      }
      continue;
    }
    applied.set(target, { doc: text, label });
    const existing = z.globalRegistry.get(target) ?? {};
    // A z.describe or z.meta still on the schema itself (not inherited) must say the same.
    const own = z.globalRegistry.has(target) ? existing : {};
    for (const [key, value] of Object.entries(meta)) {
      if (key in own && JSON.stringify(own[key]) !== JSON.stringify(value)) {
        throw new Error(`openapi-docs: ${label} has a ${key} on its schema (z.describe or z.meta) and another here; keep one`);
      }
    }
    z.globalRegistry.add(target, { ...existing, ...meta });
  }
}
