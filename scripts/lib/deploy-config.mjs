// What `npm run setup -- --deploy` reads from wrangler.toml and wrangler's output, and the
// wrangler.toml it writes. Text in, text out: no I/O here, so the test can check each piece.

/** The ids wrangler.toml ships with: zeros, to be replaced by the real ones on deploy. */
export const isPlaceholderId = (id) => !id || /^[0-]+$/.test(id);

const HEADER = /^\s*\[\[?([A-Za-z0-9_.]+)\]\]?\s*(#.*)?$/;

/** wrangler.toml cut into tables: the top level, then one block per `[x]` / `[[x]]` header. */
function tables(text) {
  const blocks = [{ name: '', lines: [] }];
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) blocks.push({ name: header[1], lines: [] });
    blocks.at(-1).lines.push(line);
  }
  return blocks;
}

const setting = (lines, key) =>
  lines.map((line) => new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`).exec(line)?.[1]).find((value) => value !== undefined);

/** The `[[name]]` table whose `binding` is `binding`. */
function bindingTable(blocks, name, binding) {
  const table = blocks.find((block) => block.name === name && setting(block.lines, 'binding') === binding);
  if (!table) throw new Error(`wrangler.toml has no [[${name}]] table with binding = "${binding}"`);
  return table;
}

/** The Worker's name, the D1 database (binding DB) and the KV namespace (binding KEY_CACHE). */
export function readDeployConfig(text) {
  const blocks = tables(text);
  const workerName = setting(blocks[0].lines, 'name');
  if (!workerName) throw new Error('wrangler.toml has no top-level name');
  const database = bindingTable(blocks, 'd1_databases', 'DB');
  const cache = bindingTable(blocks, 'kv_namespaces', 'KEY_CACHE');
  return {
    workerName,
    databaseName: setting(database.lines, 'database_name') ?? workerName,
    databaseId: setting(database.lines, 'database_id'),
    // wrangler names a namespace it provisions itself `<worker>-<binding>`; so does this.
    namespaceTitle: `${workerName}-key-cache`,
    namespaceId: setting(cache.lines, 'id'),
  };
}

/** wrangler.toml with the database and namespace ids set; comments and everything else as they were. */
export function withResourceIds(text, { databaseId, namespaceId }) {
  const blocks = tables(text);
  const replace = (table, key, value) => {
    const index = table.lines.findIndex((line) => new RegExp(`^\\s*${key}\\s*=`).test(line));
    if (index === -1) throw new Error(`wrangler.toml: no ${key} in [[${table.name}]]`);
    // A function replacement: `$&` or `$'` in a value must stay as written.
    table.lines[index] = table.lines[index].replace(/=\s*"[^"]*"/, () => `= "${value}"`);
  };
  replace(bindingTable(blocks, 'd1_databases', 'DB'), 'database_id', databaseId);
  replace(bindingTable(blocks, 'kv_namespaces', 'KEY_CACHE'), 'id', namespaceId);
  return blocks.flatMap((block) => block.lines).join('\n');
}

/** The JSON array in a command's output, whatever wrangler printed around it (banners, warnings). */
export function jsonArrayIn(output) {
  const start = output.search(/^\s*\[/m);
  const end = output.lastIndexOf(']');
  if (start === -1 || end < start) throw new Error('no JSON list in the output');
  const list = JSON.parse(output.slice(start, end + 1));
  if (!Array.isArray(list)) throw new Error('the output is not a JSON list');
  return list;
}

/** `database_id` from `wrangler d1 create`'s snippet, as TOML (`database_id = "…"`) or JSON (`"database_id": "…"`). */
export function databaseIdIn(output) {
  return /"?database_id"?\s*[=:]\s*"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"/i.exec(output)?.[1];
}

/** The namespace `id` from `wrangler kv namespace create`'s snippet, as TOML or JSON. */
export function namespaceIdIn(output) {
  return /(?:^|[\s{,])"?id"?\s*[=:]\s*"([0-9a-f]{32})"/im.exec(output)?.[1];
}

/**
 * The Worker's URL from `wrangler deploy`'s output: the addresses listed after its "Deployed …"
 * line, the workers.dev one first (custom domains and routes may follow it).
 */
export function deployedUrlIn(output) {
  const deployed = output.search(/^\s*Deployed /m);
  if (deployed === -1) return undefined;
  const urls = [...output.slice(deployed).matchAll(/https?:\/\/[^\s"'`<>]+/g)].map((match) => match[0].replace(/[.,)]+$/, ''));
  return urls.find((url) => /\.workers\.dev$/.test(new URL(url).hostname)) ?? urls[0];
}
