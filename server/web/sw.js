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

// Push messages carry {title, body, tag, path, badge} (shared.PushPayload),
// decrypted by the browser. Each shows one notification per conversation
// (the tag; renotify so an update still alerts) and sets the app badge to
// the person's unread total, since no tab may be open to do it.
self.addEventListener("push", (event) => {
  let n = null;
  try {
    n = event.data ? event.data.json() : null;
  } catch (err) {
    n = { title: "Natter", body: event.data ? event.data.text() : "" };
  }
  if (!n) {
    n = { title: "Natter", body: "New message" };
  }
  event.waitUntil(Promise.all([show(n), badge(n.badge)]));
});

function badge(count) {
  const nav = self.navigator;
  if (typeof count !== "number" || !nav || !nav.setAppBadge) {
    return Promise.resolve();
  }
  return (count > 0 ? nav.setAppBadge(count) : nav.clearAppBadge()).catch(() => {});
}

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

// A click opens the notification's conversation: in an existing Natter
// window when there is one (focused, and told to navigate, which go-app's
// page script does with goappNav), else in a new one. The page is served
// from the cache, so this works offline too.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  let path = data.path || (data.goapp && data.goapp.path) || "/";
  if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) {
    path = "/"; // only ever a page of this origin
  }
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const mine = windows.filter((c) => new URL(c.url).origin === self.location.origin);
    mine.sort((a, b) => (b.focused - a.focused) || ((b.visibilityState === "visible") - (a.visibilityState === "visible")));
    for (const client of mine) {
      if ("focus" in client) {
        try {
          await client.focus();
        } catch (err) {
          // focusing may be refused; navigating still works
        }
        client.postMessage({ goapp: { type: "notification", path: path } });
        return;
      }
    }
    if (self.clients.openWindow) {
      await self.clients.openWindow(path);
    }
  })());
});
