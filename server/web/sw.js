// Natter's service worker. go-app fills in {{.Version}} (a content hash of
// the built assets) and {{.ResourcesToCache}}.
//
// - Every page route opens offline: navigations are answered from the cache,
//   falling back to the cached app shell ("/") for routes with ids in them.
// - The cache is versioned by the content hash, so a new build replaces it
//   and an unchanged one is never refetched.
// - Push and local notifications keep their tag (one per conversation, so
//   they collapse) and their deep link, which a click opens.
const cacheName = "natter-{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};
const networkOnly = ["/api/", "/ws", "/metrics", "/healthz"];
// The page stores its own download of the wasm (server/web/loader.js), so
// the install never downloads those megabytes a second time; a wasm missing
// from the cache is stored when it next goes through the worker.
const keptByPage = "/web/app.wasm";
// Conversation routes have ids in them; their shell is cached once, under
// this stand-in id, and serves every conversation offline.
const conversationShell = "/c/00000000-0000-0000-0000-000000000000";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(cacheName);
    await Promise.all(resourcesToCache.filter((url) => url !== keptByPage).map(async (url) => {
      try {
        await cache.add(new Request(url, { cache: "reload" }));
      } catch (err) {
        console.warn("natter sw: could not precache", url, err);
      }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== cacheName) {
        await caches.delete(key);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") {
    return;
  }
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || networkOnly.some((p) => url.pathname.startsWith(p))) {
    return;
  }
  if (req.mode === "navigate") {
    event.respondWith(navigate(req, url));
    return;
  }
  event.respondWith((async () => {
    const cached = await caches.match(req, { ignoreSearch: true });
    if (cached) {
      return cached;
    }
    const res = await fetch(req);
    if (url.pathname === keptByPage && res.ok) {
      const copy = res.clone();
      event.waitUntil(caches.open(cacheName).then((cache) => cache.put(req, copy)).catch(() => {}));
    }
    return res;
  })());
});

async function navigate(req, url) {
  const cache = await caches.open(cacheName);
  const exact = await cache.match(url.pathname);
  if (exact) {
    return exact;
  }
  try {
    return await fetch(req);
  } catch (err) {
    const shell = (url.pathname.startsWith("/c/") && await cache.match(conversationShell)) || await cache.match("/");
    if (shell) {
      return shell;
    }
    throw err;
  }
}

// Push messages carry {title, body, tag, path}.
self.addEventListener("push", (event) => {
  let n = null;
  try {
    n = event.data ? event.data.json() : null;
  } catch (err) {
    n = { title: "Natter", body: event.data ? event.data.text() : "" };
  }
  if (!n) {
    return;
  }
  event.waitUntil(show(n));
});

// Local notifications from the page: go-app's API and ours.
self.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg) {
    return;
  }
  if (msg.type === "goapp:notify" || msg.type === "natter:notify") {
    event.waitUntil(show(msg.options || msg));
  }
});

function show(n) {
  return self.registration.showNotification(n.title || "Natter", {
    body: n.body || "",
    tag: n.tag || undefined,
    renotify: !!n.tag,
    icon: n.icon || "/web/icon-192.png",
    badge: "/web/icon-192.png",
    data: { path: n.path || "/", goapp: { path: n.path || "/", actions: [] } },
  });
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const path = data.path || (data.goapp && data.goapp.path) || "/";
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if ("focus" in client) {
        await client.focus();
        client.postMessage({ goapp: { type: "notification", path: path } });
        return;
      }
    }
    if (self.clients.openWindow) {
      await self.clients.openWindow(path);
    }
  })());
});
