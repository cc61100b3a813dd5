"""Helpers for the real-browser widget tests (tests/test_browser.py).

Everything a browser test needs besides the assertions:

- :func:`find_chromium` and :func:`unavailable`: a student's machine without Chromium
  skips with one line; in CI (``CI=true``) the same situation is an error;
- :class:`Server`: JupyterLab or Voila started on 127.0.0.1 on a free port with a fixed
  token, in fresh Jupyter folders, and stopped by PID (SIGTERM, wait, then SIGKILL; its
  kernels too);
- :func:`make_course_copy`: temporary copies of the notebooks (the real ones are never
  opened, so nothing in the repository can be saved over);
- :func:`lab_settings`: news off, autosave off, kernel started without a dialog, every
  cell kept in the page;
- :class:`Shots`: numbered screenshots before and after each interaction, into
  tests/screenshots/<test>/ (git-ignored), plus one when a test fails;
- slider helpers (:func:`slider`, :func:`press_keys`, :func:`type_readout`) and
  :func:`snapshot` / :func:`wait_changed`, which read what the widget shows.

"Pitfall N" in comments refers to the list of known pitfalls in the team's browser-test
guide (news toast, kernel dialog, Run All matching, autosave, windowing, Voila timeout...).
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TOKEN = "cnnlib-browser-tests"  # fixed: the servers only listen on 127.0.0.1

# Flags for Debian's Chromium in a container without GPU or network (see the guide).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Every wait is on a condition (a selector, a run count, a settled widget); these are only the
# limits past which a wait is a failure. They are generous because a cold JupyterLab is slow,
# and slower again when other CPU-bound work shares the machine (the tests pass with two busy
# processes beside them on 2 cores); a passing run returns as soon as its condition holds.
LOAD_TIMEOUT_MS = 240_000   # page loads, kernel start
RUN_ALL_TIMEOUT_MS = 900_000  # "run all": notebook 05 trains networks (short mode in CI)
CHANGE_TIMEOUT_MS = 90_000  # a widget redraw after one interaction
SERVER_START_S = 180  # a server start on a busy machine


# --------------------------------------------------------------------------- skipping

def in_ci():
    """True when the environment variable CI says so (GitHub, GitLab and most CIs set it)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def unavailable(reason):
    """The browser cannot run here: skip on a student's machine, fail in CI.

    Only for missing tools (Chromium, Playwright). A notebook that is not written yet is
    NOT this case: see :func:`not_written_yet`.
    """
    if in_ci():
        pytest.fail(f"CI=true, so browser tests must run, but: {reason}", pytrace=False)
    pytest.skip(reason)


def not_written_yet(pattern):
    """Skip reason for a table entry whose notebook does not exist yet. Such a skip is allowed
    in CI too, on purpose: the course is being written; the entry becomes required as soon
    as the file exists (see ``when_written`` in test_browser.py)."""
    return f"notebook notebooks/{pattern} is not written yet"


def find_notebook(pattern):
    """The notebook in notebooks/ matching a glob such as "06_*.ipynb", or None."""
    found = sorted(NOTEBOOKS.glob(pattern))
    if len(found) > 1:
        raise AssertionError(f"several notebooks match {pattern}: {[p.name for p in found]}")
    return found[0] if found else None


def find_chromium():
    """Path of a Chromium binary, or None.

    Order: $CHROMIUM; Debian's `chromium` (or `chromium-browser`, /usr/lib/chromium/chromium);
    a browser installed by `playwright install chromium` (never run by these tests).
    """
    candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                  "/usr/lib/chromium/chromium"]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


# --------------------------------------------------------------------------- processes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """PIDs of all processes below ``pid`` (Linux /proc; empty elsewhere)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def stop_pids(pids, grace=5.0):
    """SIGTERM each PID, wait up to ``grace`` seconds, SIGKILL whatever is left."""
    pids = [p for p in pids if _alive(p)]
    for p in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    for p in pids:
        if _alive(p):
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)


class Server:
    """A Jupyter server process (JupyterLab or Voila) on 127.0.0.1, stopped by its PID."""

    def __init__(self, name, argv, cwd, env, port, ready_path, log_dir):
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = Path(log_dir) / f"{name}-{port}.log"
        self._log_file = open(self.log, "wb")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self._wait_ready(ready_path)

    def _wait_ready(self, path):
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}{path}", timeout=2):
                    return
            except urllib.error.HTTPError as error:  # it answers: up (Voila forbids most paths)
                if error.code < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {SERVER_START_S} s:\n{self.log_tail()}")

    def log_tail(self, n=40):
        if not self._log_file.closed:
            self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def stop(self):
        """SIGTERM the server (it shuts its kernels down), wait; then stop any leftover
        kernel by PID."""
        below = descendants(self.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        stop_pids(below)
        self._log_file.close()


def jupyter_env(root):
    """Environment for a server: fresh Jupyter and IPython folders under ``root``."""
    env = dict(os.environ)
    for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PLATFORM_DIRS", "MPLBACKEND"):
        env.pop(var, None)
    dirs = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_RUNTIME_DIR": "runtime", "JUPYTER_DATA_DIR": "data",
            "IPYTHONDIR": "ipython"}
    for var, sub in dirs.items():
        path = Path(root) / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def lab_settings(folder):
    """JupyterLab user settings for tests; returns ``folder``."""
    settings = {
        # pitfall 2: the "Jupyter news" toast shows even with news_url=None
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        # pitfall 8: never write over the copy being tested
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        # pitfalls 4 and 8: no "Select Kernel" dialog; every cell stays in the page
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            {"autoStartDefaultKernel": True, "windowingMode": "none"},
    }
    for name, value in settings.items():
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    return folder


def _on_free_port(start, tries=3):
    """``start(port)`` on a free port; another try if something took the port meanwhile."""
    for attempt in range(tries):
        try:
            return start(free_port())
        except RuntimeError as error:
            if attempt + 1 == tries or not re.search(r"already in use|not available", str(error), re.I):
                raise


def start_lab(root, course):
    """JupyterLab serving ``course`` (a temporary copy), with settings and workspaces of its own."""
    return _on_free_port(lambda port: _start_lab(root, course, port))


def _start_lab(root, course, port):
    argv = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={course}",
            "--ServerApp.port_retries=0", "--ServerApp.terminals_enabled=False",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: read the run state from the model
            f"--LabApp.user_settings_dir={lab_settings(Path(root) / 'lab-settings')}",
            f"--LabApp.workspaces_dir={Path(root) / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # pitfall 1
    (Path(root) / "workspaces").mkdir(parents=True, exist_ok=True)
    return Server("jupyterlab", argv, course, jupyter_env(root), port, f"/api/status?token={TOKEN}", root)


def start_voila(root, course, notebook, timeout_s):
    """Voila showing ``course/notebooks/<notebook>`` as an app, run from ``course`` the way the
    README runs it from the repository root. A ``voila.json`` in the repository root is used
    as is (copied); without one, the executor timeout is given on the command line."""
    return _on_free_port(lambda port: _start_voila(root, course, notebook, timeout_s, port))


def _start_voila(root, course, notebook, timeout_s, port):
    argv = [sys.executable, "-m", "voila", f"notebooks/{notebook}", "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", f"--token={TOKEN}", "--Voila.port_retries=0"]
    config = REPO / "voila.json"
    if config.is_file():
        timeout = json.loads(config.read_text()).get("VoilaExecutor", {}).get("timeout")
        assert isinstance(timeout, int) and timeout > 0, (
            f"voila.json should set {{\"VoilaExecutor\": {{\"timeout\": N}}}} (seconds) so that a slow "
            f"kernel reply cannot hang the app; it sets {timeout!r}")
        shutil.copyfile(config, Path(course) / "voila.json")
    else:
        argv.append(f"--VoilaExecutor.timeout={timeout_s}")
    return Server("voila", argv, course, jupyter_env(Path(root) / f"voila-{port}"), port,
                  f"/api/kernelspecs?token={TOKEN}", root)


def make_course_copy(dest):
    """Copy notebooks/ (without the jupytext .py twins, checkpoints and saved runs) to
    ``dest/notebooks`` and link the folders the notebooks read (``images``)."""
    dest = Path(dest)

    def ignore(folder, names):
        skip = {".ipynb_checkpoints", "__pycache__", "output"}
        return [n for n in names if n in skip or (n.endswith(".py") and (Path(folder) / (n[:-3] + ".ipynb")).exists())]

    shutil.copytree(NOTEBOOKS, dest / "notebooks", ignore=ignore)
    for name in ("images",):
        if (REPO / name).exists():
            (dest / name).symlink_to(REPO / name)
    return dest


# --------------------------------------------------------------------------- screenshots

def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80]


class Shots:
    """Numbered screenshots in tests/screenshots/<test>/: 01-<step>-before.png, ...-after.png."""

    def __init__(self, test_name):
        self.folder = SCREENSHOTS / _slug(test_name)
        shutil.rmtree(self.folder, ignore_errors=True)  # the last run's pictures of this test
        self.n = 0

    def take(self, target, label):
        """Screenshot of a page (viewport) or of one element (a Playwright locator)."""
        self.n += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.n:02d}-{_slug(label)}.png"
        try:
            target.screenshot(path=str(path), animations="disabled", timeout=10_000)
        except Exception as error:  # a screenshot must never hide the real failure
            print(f"screenshot {path.name} failed: {error}", file=sys.stderr)
        return path

    @contextlib.contextmanager
    def around(self, target, label):
        """Screenshot before and after the interaction in the ``with`` block."""
        self.take(target, f"{label}-before")
        yield
        self.take(target, f"{label}-after")

    @contextlib.contextmanager
    def on_failure(self, page):
        """A full-page screenshot when the block raises (then the error goes on)."""
        try:
            yield
        except BaseException:
            self.take(page, "FAILED")
            raise


# --------------------------------------------------------------------------- widgets

def slider(scope, label):
    """The ipywidgets slider (``.widget-slider``) whose description is exactly ``label``."""
    label_re = re.compile(rf"^\s*{re.escape(label)}\s*$")
    page = getattr(scope, "page", scope)  # a Locator knows its page; a Page is one
    return scope.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text=label_re))


def slider_value(s):
    return round(float(s.locator(".noUi-handle").first.get_attribute("aria-valuenow")))


def slider_bounds(s):
    handle = s.locator(".noUi-handle").first
    return round(float(handle.get_attribute("aria-valuemin"))), round(float(handle.get_attribute("aria-valuemax")))


def _expect_value(s, value):
    from playwright.sync_api import expect

    expect(s.locator(".noUi-handle").first).to_have_attribute(
        "aria-valuenow", re.compile(rf"^{value}(\.0+)?$"), timeout=CHANGE_TIMEOUT_MS)


def press_keys(s, keys, expected):
    """Focus the slider's handle and press ``keys`` (e.g. ["ArrowRight"]); the slider must end at ``expected``."""
    handle = s.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    for key in keys:
        handle.press(key)
    _expect_value(s, expected)


def type_readout(s, value):
    """Type ``value`` into the slider's readout and press Enter, as a student would."""
    readout = s.locator(".widget-readout").first
    editable = readout.get_attribute("contenteditable")
    assert editable == "true", (
        "the slider's readout cannot be typed into (contenteditable=%r): use an IntSlider/FloatSlider "
        "with readout=True" % editable)
    readout.scroll_into_view_if_needed()
    readout.click()
    readout.press("ControlOrMeta+a")
    readout.press_sequentially(str(value))
    readout.press("Enter")
    _expect_value(s, value)


# Image sources are data: URLs of tens of kB: compare a hash of each, computed in the page.
_SNAPSHOT_JS = """scope => {
    const hash = s => { let h = 2166136261 >>> 0;
        for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
        return `${s.length}:${h.toString(16)}`; };
    const clone = scope.cloneNode(true);
    clone.querySelectorAll('.widget-slider, .widget-readout').forEach(e => e.remove());
    return {text: clone.textContent.replace(/\\s+/g, ' ').trim(),
            images: [...scope.querySelectorAll('img')].map(i => hash(i.getAttribute('src') || ''))};
}"""

# Settled: the kernel that drives the widget is idle (JupyterLab's session, read from
# window.jupyterapp; every output of a callback arrives before the kernel reports idle) and
# two successive checks, one animation frame or more apart, see the same display. Where no
# kernel status can be read (a Voila app), the display must also stay the same for
# QUIET_MS. State lives on the scope element, so each wait starts afresh.
QUIET_MS = 300
_SETTLED_JS = """([scope, quietMs]) => {
    const snap = (%s)(scope);
    const state = JSON.stringify(snap);
    const kernel = window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel;
    const known = !!kernel;
    const now = performance.now();
    const last = scope.__settled;
    if (known && kernel.status !== 'idle') { scope.__settled = null; return false; }
    if (!last || last.state !== state) { scope.__settled = {state, since: now}; return false; }
    return known || now - last.since >= quietMs ? snap : false;
}""" % _SNAPSHOT_JS

# Changed: text and/or images differ from ``before`` and the text holds every ``contains``.
_CHANGED_JS = """([scope, before, text, images, contains]) => {
    const now = (%s)(scope);
    const changed = (!text || now.text !== before.text)
        && (!images || (now.images.length > 0 && JSON.stringify(now.images) !== JSON.stringify(before.images)));
    return changed && contains.every(c => now.text.includes(c));
}""" % _SNAPSHOT_JS


def snapshot(scope):
    """What the widget shows, without its sliders: {"text": ..., "images": [hash of each src]}."""
    return scope.evaluate(_SNAPSHOT_JS)


def _page(scope):
    return getattr(scope, "page", scope)


def wait_stable(scope, timeout_s=CHANGE_TIMEOUT_MS / 1000):
    """Wait until the widget has settled (see ``_SETTLED_JS``: its kernel idle, its display
    unchanged between two checks); return what it shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        handle = _page(scope).wait_for_function(_SETTLED_JS, arg=[scope.element_handle(), QUIET_MS],
                                                polling="raf", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"the widget did not settle within {timeout_s} s; it shows: "
                             f"{snapshot(scope)['text'][:600]!r}") from None
    return handle.json_value()


def wait_changed(scope, before, text=True, images=True, contains=(), timeout_s=CHANGE_TIMEOUT_MS / 1000):
    """Wait until the displayed text and/or image sources differ from ``before`` and the
    text contains every string in ``contains``; then until the widget has settled.
    Returns the new snapshot."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        _page(scope).wait_for_function(_CHANGED_JS, arg=[scope.element_handle(), before, text, images, list(contains)],
                                       polling="raf", timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        now = snapshot(scope)
        checks = {"text": not text or now["text"] != before["text"],
                  "image": not images or (bool(now["images"]) and now["images"] != before["images"])}
        checks.update({repr(c): c in now["text"] for c in contains})
        missing = [name for name, done in checks.items() if not done]
        raise AssertionError(f"after {timeout_s} s the widget still lacks: {', '.join(missing)} (text and "
                             f"image must change; quoted strings must show); it shows: {now['text'][:600]!r}") from None
    return wait_stable(scope)


def output_scope(s):
    """The output area that holds the slider's widget (cell output in Lab, the app in Voila)."""
    return s.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-OutputArea ')][1]")


# --------------------------------------------------------------------------- JupyterLab

# Read from JupyterLab's own notebook model (window.jupyterapp, exposed by the test server):
# prompts in the page cannot tell a fresh run from stored execution counts, and cells with
# hidden input show no prompt at all.
_RUN_STATE_JS = """() => {
    const panel = window.jupyterapp?.shell.currentWidget;
    const cells = panel?.content?.widgets ?? [];
    const code = cells.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() !== '');
    const counts = code.map(c => c.model.executionCount);
    const errors = code.filter(c => [...c.model.outputs.toJSON()].some(o => o.output_type === 'error'));
    return {cells: code.length, ran: counts.filter(n => n !== null).length,
            error: errors.length ? errors[0].model.outputs.toJSON().find(o => o.output_type === 'error') : null};
}"""


def _run_state(page):
    return page.evaluate(_RUN_STATE_JS)


def open_and_run_all(page, lab, notebook, workspace):
    """Open ``notebooks/<notebook>`` in its own workspace, wait for an idle kernel, clear all
    outputs, Run All Cells from the menu, and wait until every code cell has a new execution
    count; fail at once on an error output."""
    from playwright.sync_api import expect

    shutdown_kernels(lab)  # a kernel left busy by an earlier test would slow this one down
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/notebooks/{notebook}?token={TOKEN}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(panel).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    # pitfall 4: the toolbar says idle before a kernel exists; the status bar does not
    expect(page.get_by_role("button", name=re.compile(r"Python 3 \(ipykernel\) \| Idle"))).to_be_visible(
        timeout=LOAD_TIMEOUT_MS)
    page.get_by_role("menuitem", name="Edit", exact=True).click()
    page.locator('li[data-command="editmenu:clear-all"]').click()
    page.wait_for_function(f"() => ({_RUN_STATE_JS})().ran === 0", timeout=LOAD_TIMEOUT_MS, polling=100)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator('li[data-command="runmenu:run-all"]').click()  # pitfall 5: not "Restart ... and Run All"
    page.wait_for_function(f"() => {{ const s = ({_RUN_STATE_JS})(); return s.error || s.ran === s.cells; }}",
                           timeout=RUN_ALL_TIMEOUT_MS, polling=200)
    state = _run_state(page)
    if state["error"]:
        e = state["error"]
        raise AssertionError(f"{notebook} raised while running: {e.get('ename')}: {e.get('evalue')}")
    return panel


def shutdown_kernels(server):
    """Shut down every kernel the Jupyter server runs (its REST API: GET, then DELETE each)."""
    url = f"{server.url}/api/kernels"
    with urllib.request.urlopen(f"{url}?token={TOKEN}", timeout=10) as reply:
        kernels = json.load(reply)
    for kernel in kernels:
        request = urllib.request.Request(f"{url}/{kernel['id']}?token={TOKEN}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def no_traceback(scope):
    text = scope.inner_text()
    assert "Traceback" not in text and not re.search(r"\b\w+Error:", text), f"the widget shows an error:\n{text[:2000]}"
