# SPDX-License-Identifier: MIT
"""Headless Chromium inside a test's network namespace, driven over the
DevTools protocol (tests/integration/test_liveview.py).

Browser(ns, tmp).start() runs Debian's chromium binary under `ip netns
exec NS`, so the only networks it can reach are the namespace's
loopback and its tap to the guest. It is told not to phone home anyway
(no proxy, no background networking, no component or safe-browsing
updates, every host name resolves to nothing), and its profile lives in
the test's tmp dir. The DevTools protocol runs over a pipe
(--remote-debugging-pipe: commands in on fd 3, replies out on fd 4, each
message JSON ending in a NUL), so no debugging port is opened at all.

open(url) attaches to a fresh page with network logging on; evaluate()
runs JavaScript there and returns its value; screenshot() writes a PNG;
requested_urls() lists every URL the page asked for. stop() ends
chromium by its PID (SIGTERM, then SIGKILL). Every wait has a deadline.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import time

from qemu import stop_process

# Debian's /usr/bin/chromium is a shell wrapper that adds extension and
# API-key settings from /etc/chromium.d; the binary itself takes only ours.
CHROMIUM_BINARY = "/usr/lib/chromium/chromium"
CHROMIUM = os.environ.get("CHROMIUM", CHROMIUM_BINARY
                          if os.path.exists(CHROMIUM_BINARY) else "chromium")
START_TIMEOUT = 60  # seconds for chromium to answer its first command
CALL_TIMEOUT = 30  # seconds for any one DevTools command
WINDOW = "1280,1700"

# No traffic but the page's own: these switch off everything chromium
# would otherwise fetch by itself.
QUIET_FLAGS = [
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "DialMediaRouteProvider,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--safebrowsing-disable-auto-update",
    "--password-store=basic",
    "--use-mock-keychain",
]


def available():
    """(True, "") if a chromium binary is installed, else (False, why)."""
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return True, ""
    return False, "%s not installed (tools/deps.sh installs chromium)" % \
        CHROMIUM


class DevToolsError(RuntimeError):
    pass


class Browser:
    def __init__(self, ns, tmp_path, host):
        self.ns = ns
        self.dir = os.path.join(str(tmp_path), "chromium")
        self.host = host  # the one address the page is served from
        self.proc = None
        self.log = None
        self.to_chrome = self.from_chrome = None
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        cmd_r, self.to_chrome = os.pipe()
        self.from_chrome, reply_w = os.pipe()
        # The shell puts the pipe ends on the fds chromium expects (3
        # and 4) whatever numbers they have here, then execs chromium
        # (bash: dash takes only one-digit fd numbers).
        args = self.ns.exec_prefix() + [
            "bash", "-c", 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-'
            % (cmd_r, reply_w, cmd_r, reply_w), CHROMIUM,
            "--headless", "--no-sandbox",  # as root: no setuid sandbox
            "--disable-gpu", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--window-size=" + WINDOW,
            "--user-data-dir=" + os.path.join(self.dir, "profile"),
            # Every name resolves to nothing but the guest's address.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE " + self.host,
            "--remote-debugging-pipe",
        ] + QUIET_FLAGS + ["about:blank"]
        self.log = open(os.path.join(self.dir, "chromium.log"), "wb")
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=self.log,
                                         stderr=subprocess.STDOUT,
                                         pass_fds=(cmd_r, reply_w))
        finally:
            os.close(cmd_r)
            os.close(reply_w)
        self.call("Browser.getVersion", timeout=START_TIMEOUT)
        return self

    # ---- the protocol ----

    def _send(self, method, params, session):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_chrome, data):]
        return self.next_id

    def _receive(self, deadline):
        """The next message from chromium (waiting until `deadline`)."""
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DevToolsError("no answer from chromium in time")
            ready, _, _ = select.select([self.from_chrome], [], [],
                                        min(left, 1.0))
            if not ready:
                if self.proc.poll() is not None:
                    raise DevToolsError("chromium exited with %d (log: %s)"
                                        % (self.proc.returncode,
                                           self.log.name))
                continue
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise DevToolsError("chromium closed the pipe (log: %s)"
                                    % self.log.name)
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=CALL_TIMEOUT):
        """Send one command and return its result; events that arrive
        meanwhile are kept in self.events."""
        want = self._send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._receive(deadline)
            if msg.get("id") != want:
                if "method" in msg:
                    self.events.append(msg)
                continue
            if "error" in msg:
                raise DevToolsError("%s: %s" % (method, msg["error"]))
            return msg.get("result", {})

    def page(self, method, params=None, timeout=CALL_TIMEOUT):
        return self.call(method, params, self.session, timeout)

    # ---- what a test does with a page ----

    def open(self, url, timeout=CALL_TIMEOUT):
        """Open `url` in a new page, network logging on from the start;
        returns once the page's load event fired."""
        target = self.call("Target.createTarget", {"url": "about:blank"})
        self.session = self.call("Target.attachToTarget", {
            "targetId": target["targetId"], "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.page(domain + ".enable")
        self.page("Page.navigate", {"url": url})
        # about:blank's own load event may come after navigate's reply,
        # so wait for the document itself.
        loaded = self.wait_for("document.readyState === 'complete' && "
                               "location.href === %s" % json.dumps(url),
                               timeout, period=0.2)
        if not loaded:
            raise DevToolsError("%s did not load in %ds" % (url, timeout))

    def evaluate(self, expression, timeout=CALL_TIMEOUT):
        """The value of a JavaScript expression in the page (JSON-able)."""
        r = self.page("Runtime.evaluate", {
            "expression": expression, "returnByValue": True,
            "awaitPromise": True}, timeout)
        if "exceptionDetails" in r:
            raise DevToolsError("%s: %s" % (expression,
                                            r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expression, timeout, period=0.5):
        """Evaluate `expression` until it is truthy; its last value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(period)

    def screenshot(self, path):
        """The page as a PNG at `path` (the whole page, not the window)."""
        r = self.page("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path

    def requested_urls(self):
        """Every URL the page requested so far (network log)."""
        self.evaluate("0")  # drain the events that came before now
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def console_errors(self):
        """Exceptions and console errors the page reported."""
        out = []
        for e in self.events:
            if e["method"] == "Runtime.exceptionThrown":
                out.append(str(e["params"]["exceptionDetails"]))
            elif e["method"] == "Log.entryAdded" and \
                    e["params"]["entry"]["level"] == "error":
                out.append(e["params"]["entry"]["text"])
        return out

    def stop(self):
        for fd in (self.to_chrome, self.from_chrome):
            if fd is not None:
                os.close(fd)
        self.to_chrome = self.from_chrome = None
        stop_process(self.proc)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
