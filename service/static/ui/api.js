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

// Integrity of a node as the graph colours it: "bad" (a corrupt or missing blob),
// "affected" (such a blob among its files or upstream), "pending", "ok" or "none".
export const GRAPH_NODE = `
  fragment GraphNode on Node {
    id kind project name
    ... on Dataset { version integrity { status affected } }
    ... on Model { version integrity { status affected } }
    ... on Run { integrity { status affected } }
    ... on Evaluation { integrity { status affected } }
    ... on Blob { digest blobStatus: status }
  }`;

export function integrityOf(node) {
  if (node.kind === "BLOB") {
    if (node.blobStatus === "CORRUPT" || node.blobStatus === "MISSING") return "bad";
    return node.blobStatus === "PENDING" ? "pending" : "ok";
  }
  const integrity = node.integrity;
  if (!integrity) return "none";
  if (integrity.affected) return "affected";
  return integrity.status === "PENDING" ? "pending" : integrity.status ? "ok" : "none";
}

export function labelOf(node) {
  if (node.kind === "BLOB") return `sha256:${(node.digest || node.id.slice(7)).slice(0, 12)}`;
  return node.version ? `${node.name}:${node.version}` : node.name;
}
