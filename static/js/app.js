/**
 * The dashboard's entry point: a hash router (so a reload stays on the same page with the
 * plain static server) and the live-connection indicator in the top bar.
 *
 * Routes: `#/` library · `#/manifests/<id>[/assets/<TAG>][?filters]` ·
 * `#/projects[?manifest=<id>]` · `#/projects/<id>`.
 *
 * @module
 */
import { h, replace } from "./dom.js";
import { renderLibrary } from "./library.js";
import { live } from "./live.js";
import { renderManifestPage } from "./manifest_page.js";
import { renderProjectPage } from "./project_page.js";
import { renderProjects } from "./projects.js";
import { loadVocabulary } from "./vocabulary.js";

const view = /** @type {HTMLElement} */ (document.getElementById("view"));

/** @typedef {{ name: string, params: Record<string, string> }} Route */
/**
 * What a manifest or project page is given: `parse` puts the id of those routes in `params`,
 * with the address's query (a manifest page's filters).
 * @typedef {{ id: string, tag?: string } & Record<string, string>} PageParams
 */

/**
 * A path segment as typed; a broken `%` escape stays as it is instead of breaking the page.
 * @param {string} segment
 */
function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * @param {string} hash
 * @returns {Route}
 */
function parse(hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeSegment);
  const params = Object.fromEntries(new URLSearchParams(query));
  if (parts[0] === "manifests" && parts[1]) {
    return {
      name: "manifest",
      params: {
        ...params,
        id: parts[1],
        ...(parts[2] === "assets" && parts[3] && { tag: parts[3] }),
      },
    };
  }
  if (parts[0] === "projects" && parts[1]) {
    return { name: "project", params: { ...params, id: parts[1] } };
  }
  if (parts[0] === "projects") return { name: "projects", params };
  if (parts.length === 0) return { name: "library", params };
  return { name: "missing", params: { path } };
}

/** @type {{ route: Route, cleanup: () => void, update?: (params: PageParams) => void } | null} */
let current = null;

function navigate() {
  const route = parse(location.hash);
  // Same manifest, another asset or other filters: the page shows them without being rebuilt.
  if (
    current?.update && current.route.name === route.name &&
    current.route.params.id === route.params.id
  ) {
    current.route = route;
    current.update(/** @type {PageParams} */ (route.params));
    return;
  }
  current?.cleanup();
  current = null;
  // Messages about the page being left would read as news about the next one.
  document.getElementById("toasts")?.replaceChildren();
  scrollTo(0, 0);
  for (const link of document.querySelectorAll("[data-nav]")) {
    const section = route.name.startsWith("project") ? "projects" : "library";
    link.toggleAttribute("aria-current", /** @type {HTMLElement} */ (link).dataset.nav === section);
  }
  switch (route.name) {
    case "library":
      document.title = "Manifests · Manifest Studio";
      current = { route, cleanup: renderLibrary(view) };
      break;
    case "manifest": {
      document.title = "Manifest · Manifest Studio";
      const page = renderManifestPage(view, /** @type {PageParams} */ (route.params));
      current = { route, cleanup: page.cleanup, update: page.update };
      break;
    }
    case "projects":
      document.title = "Projects · Manifest Studio";
      current = { route, cleanup: renderProjects(view, route.params) };
      break;
    case "project":
      document.title = "Project · Manifest Studio";
      current = {
        route,
        cleanup: renderProjectPage(view, /** @type {PageParams} */ (route.params)),
      };
      break;
    default:
      replace(
        view,
        h("h1", null, "Page not found"),
        h(
          "p",
          null,
          `Nothing lives at “${route.params.path}”. `,
          h("a", { href: "#/" }, "Back to the manifests"),
        ),
      );
      current = { route, cleanup: () => {} };
  }
}

/** Top-bar indicator of the live connection, with the retry countdown when it dropped. */
function watchLive() {
  const badge = /** @type {HTMLElement} */ (document.getElementById("live-status"));
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let ticker;
  live.watch((state, retryAt) => {
    clearInterval(ticker);
    badge.dataset.state = state;
    const show = () => {
      const seconds = retryAt ? Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) : 0;
      badge.textContent = {
        idle: "",
        connecting: "Connecting…",
        live: "Live",
        waiting: retryAt
          ? `Connection lost: retrying in ${seconds} s`
          : "Waiting for the access token",
      }[state];
    };
    show();
    if (state === "waiting" && retryAt) ticker = setInterval(show, 1000);
  });
}

// "Skip to content" points at #view, which the hash router would read as a route (and show
// "Page not found"): move the focus to the content instead of following the link.
document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  view.focus();
});

watchLive();
// Read while the first page loads its own data; the pages that offer the lists wait for it
// and say so if it fails.
loadVocabulary().catch(() => {});
addEventListener("hashchange", navigate);
navigate();
