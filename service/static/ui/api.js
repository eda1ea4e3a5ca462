// GraphQL over fetch to this service's /graphql. The token lives in sessionStorage (this
// tab only, gone when it closes) and travels in the Authorization header, never in a URL.

const TOKEN_KEY = "provgraph.token";
const ENDPOINT = new URL("../graphql", document.baseURI).href;

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || "",
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => (e.extensions?.code ? `${e.extensions.code}: ${e.message}` : e.message)).join("\n"));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code ?? null;
  }
}

export async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch(ENDPOINT, {
    method: "POST", headers, body: JSON.stringify({ query, variables }),
    credentials: "omit", referrerPolicy: "no-referrer", cache: "no-store",
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`the service answered HTTP ${response.status} without a GraphQL body`);
  }
  if (body.errors?.length) throw new GraphQLError(body.errors);
  return body.data;
}

// What the graph draws of a node. Integrity comes apart (AFFECTED below), so that a
// 10k-node lineage costs one light traversal and one report, not 10k integrity checks.
export const GRAPH_NODE = `
  fragment GraphNode on Node {
    id kind project name
    ... on Dataset { version } ... on Model { version } ... on Blob { digest blobStatus: status }
  }`;

// Every node downstream of a corrupt or missing blob: one walk for the whole request.
export const AFFECTED = "{ integrityReport { affected { id } } }";

// "bad" (a corrupt or missing blob), "affected" (such a blob among its files or upstream),
// "pending" (a blob not verified yet) or "ok".
export function integrityOf(node, affected) {
  if (node.kind === "BLOB") {
    if (node.blobStatus === "CORRUPT" || node.blobStatus === "MISSING") return "bad";
    if (node.blobStatus === "PENDING") return "pending";
  }
  return affected.has(node.id) ? "affected" : "ok";
}

export function labelOf(node) {
  if (node.kind === "BLOB") return `sha256:${(node.digest || node.id.slice(7)).slice(0, 12)}`;
  return node.version ? `${node.name}:${node.version}` : node.name;
}
