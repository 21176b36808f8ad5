// -----------------------------------------------------------------------------
// Natter's wasm loader. It replaces go-app's (server/web/front.go cuts
// go-app's app.js here), which wrapped the download in a JS stream
// for a percentage: every chunk then went through the main thread, and V8
// could neither compile while downloading from the network stream nor cache
// the compiled code. Here the fetch's own Response goes to
// instantiateStreaming, and the progress bar is a CSS animation.
// -----------------------------------------------------------------------------
// A function, not a constant: go-app's code above calls
// goappInitWebAssembly before this line runs, and only function
// declarations are ready that early.
function natterWasmURL() {
  return "{{.WasmURL}}";
}

async function goappInitWebAssembly() {
  const loader = document.getElementById("app-wasm-loader");
  if (!goappCanLoadWebAssembly()) {
    loader.remove();
    return;
  }
  performance.mark("natter:load-start");
  natterHoldSkeleton();
  try {
    const go = new Go();
    const response = fetch(natterWasmURL()).then((res) => {
      natterKeepForOffline(res);
      return res;
    });
    const wasm = await WebAssembly.instantiateStreaming(response, go.importObject);
    performance.mark("natter:compiled");
    go.run(wasm.instance);
    loader.remove();
  } catch (err) {
    loader.classList.add("failed");
    loader.removeAttribute("aria-hidden");
    const label = document.getElementById("app-wasm-loader-label");
    label.innerText = "Natter could not start: " + err;
    console.error("loading wasm failed: ", err);
  }
}

// natterHoldSkeleton keeps a conversation page's drawn skeleton (the
// newest messages, server/web/skeleton_conv.go) on screen while the app
// starts below it: the app renders "loading", then an empty list, then the
// messages, and showing those steps would flash. An empty div takes the
// skeleton's place as the body's first element, which go-app adopts as the
// app's root, and the skeleton becomes a still picture above it that the
// pointer goes through (app.css: .sk-hold). Once the app's own list shows
// messages of that conversation, scrolled to the newest, or it moved on to
// another page, or the person pressed a key or the pointer, the picture goes; the app then
// draws the same screen, so nothing seems to change.
function natterHoldSkeleton() {
  const sk = document.querySelector("#app[data-skeleton][data-hold]");
  if (!sk) {
    return;
  }
  const path = sk.dataset.hold;
  sk.before(document.createElement("div"));
  sk.removeAttribute("id");
  sk.classList.add("sk-hold");
  let done = false;
  const release = () => {
    if (done) {
      return;
    }
    done = true;
    sk.remove();
    removeEventListener("keydown", release, true);
    removeEventListener("pointerdown", release, true);
    performance.mark("natter:hold-released");
  };
  addEventListener("keydown", release, true);
  addEventListener("pointerdown", release, true);
  // The last resort: an app that cannot show the list (the server went
  // away after sending the page) shows its own state after this long.
  setTimeout(release, 10000);
  const ready = () => {
    if (location.pathname !== path) {
      return true;
    }
    const app = document.getElementById("app");
    if (!app) {
      return false;
    }
    const page = app.dataset.page;
    if (page !== "conv") {
      return page !== "loading";
    }
    const list = document.getElementById("messages");
    return !!list && !!list.querySelector("li.msg") && list.scrollHeight - list.scrollTop - list.clientHeight < 4;
  };
  const watch = () => {
    if (done) {
      return;
    }
    if (ready()) {
      release();
      return;
    }
    requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
}

// natterKeepForOffline stores the page's own download of the wasm in the
// service worker's cache, so that an offline start finds it and the worker
// never downloads it a second time (its install skips the wasm). A page the
// worker already controls got the wasm from that cache, or the worker
// stores it itself. The copy is written once the app has started: writing
// megabytes while they compile slowed a cold start.
function natterKeepForOffline(res) {
  if (!res.ok || !("caches" in self) || (navigator.serviceWorker && navigator.serviceWorker.controller)) {
    return;
  }
  const copy = res.clone(); // before instantiateStreaming reads the body
  natterAfterStart(() => natterWhenQuiet(() => caches.open("natter-" + goappEnv.GOAPP_VERSION)
    .then((cache) => cache.put(natterWasmURL(), copy))
    .then(() => performance.mark("natter:wasm-cached"))
    .catch((err) => console.warn("natter: could not keep app.wasm for offline use", err))));
}

// natterRegisterLater registers the service worker (go-app's register, in
// app.js) once the app has started (server/web/front.go swaps go-app's call
// for this). On a first visit, in a quiet moment after that: the worker's
// install fetches and stores every page and asset, which competed with the
// wasm's compile and the first screen, and then with what the person does
// first. A page a worker already controls registers as the app has
// started, as before: the install is behind it, and the registration is
// also what listens to the worker's messages (a notification's click).
function natterRegisterLater(register) {
  if (navigator.serviceWorker && navigator.serviceWorker.controller) {
    natterAfterStart(register);
    return;
  }
  natterAfterStart(() => natterWhenQuiet(register));
}

// natterWhenQuiet runs fn, background work of a first visit (the service
// worker's install, the copy of the wasm for offline use), natterQuietAfter
// ms later, when the page is next idle. Run as soon as the app had
// started, it landed on what the person does first, opening a conversation
// and scrolling up: on a two-core machine the first older page took half
// again as long (docs/BENCHMARKS.md).
function natterWhenQuiet(fn) {
  const natterQuietAfter = 2000;
  setTimeout(() => {
    if (self.requestIdleCallback) {
      requestIdleCallback(fn, { timeout: natterQuietAfter });
    } else {
      fn();
    }
  }, natterQuietAfter);
}

// natterAfterStart runs fn once the app marks "natter:ready" (wasm/main.go:
// the first screen is drawn and the connection caught up, or there is
// nothing to wait for), or after 5 s, whichever comes first: an app that
// cannot start still gets its service worker. Its state lives on the
// function, not in constants: app.js calls it before this part has run.
function natterAfterStart(fn) {
  const st = (natterAfterStart.state ??= { waiting: [], done: false });
  if (st.done) {
    fn();
    return;
  }
  st.waiting.push(fn);
  if (st.waiting.length > 1) {
    return;
  }
  const run = () => {
    if (st.done) {
      return;
    }
    st.done = true;
    for (const f of st.waiting.splice(0)) {
      f();
    }
  };
  if (performance.getEntriesByName("natter:ready", "mark").length > 0) {
    run();
    return;
  }
  try {
    const seen = new PerformanceObserver((list) => {
      if (list.getEntriesByName("natter:ready").length > 0) {
        seen.disconnect();
        run();
      }
    });
    seen.observe({ type: "mark" });
  } catch (err) {
    run(); // no PerformanceObserver: do not wait
    return;
  }
  setTimeout(run, 5000);
}

function goappCanLoadWebAssembly() {
  if (/bot|googlebot|crawler|spider|robot|crawling/i.test(navigator.userAgent)) {
    return false;
  }
  return new URLSearchParams(window.location.search).get("wasm") !== "false";
}
