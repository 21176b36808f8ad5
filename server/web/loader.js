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

// natterKeepForOffline stores the page's own download of the wasm in the
// service worker's cache, so that an offline start finds it and the worker
// never downloads it a second time (its install skips the wasm). A page the
// worker already controls got the wasm from that cache, or the worker
// stores it itself.
function natterKeepForOffline(res) {
  if (!res.ok || !("caches" in self) || (navigator.serviceWorker && navigator.serviceWorker.controller)) {
    return;
  }
  const copy = res.clone(); // before instantiateStreaming reads the body
  caches.open("natter-" + goappEnv.GOAPP_VERSION)
    .then((cache) => cache.put(natterWasmURL(), copy))
    .then(() => performance.mark("natter:wasm-cached"))
    .catch((err) => console.warn("natter: could not keep app.wasm for offline use", err));
}

function goappCanLoadWebAssembly() {
  if (/bot|googlebot|crawler|spider|robot|crawling/i.test(navigator.userAgent)) {
    return false;
  }
  return new URLSearchParams(window.location.search).get("wasm") !== "false";
}
