// The web UI's entry: hash routes (#/browse/<kind>, #/search/<q>, #/node/<id>, the last
// with ?direction=UPSTREAM|DOWNSTREAM|BOTH&depth=N for its lineage graph) and the
// token form. Node ids and searches live in the fragment, which browsers never send to
// a server; the token lives in sessionStorage only.

import { token } from "./api.js";
import { renderBrowse, renderSearch } from "./browse.js";
import { renderNode } from "./node.js";

const main = document.getElementById("main");
const errorBox = document.getElementById("error");

function showError(error) {
  errorBox.textContent = error.code === "UNAUTHENTICATED" || error.code === "FORBIDDEN"
    ? `${error.message}\nEnter a token above (it stays in this tab only).` : error.message;
  errorBox.hidden = false;
}

async function route() {
  errorBox.hidden = true;
  const [hash, query] = location.hash.replace(/^#\/?/, "").split("?");
  const [view, ...rest] = hash.split("/");
  const arg = decodeURIComponent(rest.join("/"));
  const options = Object.fromEntries(new URLSearchParams(query || ""));
  // Each route renders into its own element: one that a later route replaced before its
  // answers came renders into a detached element, unseen.
  const page = document.createElement("div");
  main.replaceChildren(page);
  try {
    if (view === "node" && arg) await renderNode(page, arg, options);
    else if (view === "search" && arg) await renderSearch(page, arg);
    else await renderBrowse(page, view === "browse" ? arg : "models");
  } catch (error) {
    if (!page.isConnected) return;
    page.replaceChildren();
    showError(error);
  }
}

function tokenForm() {
  const input = document.getElementById("token-input");
  const clear = document.getElementById("token-clear");
  const state = document.getElementById("token-state");
  const refresh = () => {
    const has = Boolean(token.get());
    clear.hidden = !has;
    state.textContent = has ? "token set for this tab" : "no token";
  };
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value.trim()) token.set(input.value.trim());
    input.value = "";
    refresh();
    route();
  });
  clear.addEventListener("click", () => { token.clear(); refresh(); route(); });
  refresh();
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("search-input").value.trim();
  if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
});
window.addEventListener("hashchange", route);
tokenForm();
route();
