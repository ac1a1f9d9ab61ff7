"""Figure 6: `rag ask` from a cold process, and the chat page after `python app.py`."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from .common import PYTHON, ROOT, Figure, at_most, env, rag, run

_QUESTION = "What does the immune system do in tumour growth?"
_PHASES = """
import json, sys, time
t0 = time.perf_counter()
import rag.pipeline
t1 = time.perf_counter()
a = rag.load_index(sys.argv[1])
t2 = time.perf_counter()
a.ask(sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load_index": t2 - t1, "first_ask": t3 - t2,
                  "torch_imported": "torch" in sys.modules}))
"""


def measure(folder: Path, index: Path, repeat: int) -> list[Figure]:
    walls = [rag("ask", _QUESTION, "--index", str(index))[0] for _ in range(repeat)]
    _, out = run([PYTHON, "-c", _PHASES, str(index), _QUESTION])
    phases = {k: round(v, 2) if isinstance(v, float) else v for k, v in json.loads(out).items()}
    figures = [at_most("6", "rag ask, cold process", walls, "s", 8, phases_s=phases)]
    if (ROOT / "app.py").is_file():
        chat = [_chat_ready(folder, index) for _ in range(repeat)]
        figures.append(at_most("6", "chat page served after python app.py", chat, "s", 10))
    return figures


def _chat_ready(folder: Path, index: Path) -> float:
    """Seconds from `python app.py` to the chat page answering with HTTP 200."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    began = time.perf_counter()
    server = subprocess.Popen(
        [PYTHON, "app.py", "--source", str(folder), "--index", str(index), "--port", str(port)],
        cwd=ROOT,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - began < 120:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    if page.status == 200 and b"gradio" in page.read().lower():
                        return time.perf_counter() - began
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the chat did not come up within 120 s")
    finally:
        server.terminate()
        server.wait(timeout=30)
