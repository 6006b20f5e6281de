"""Node's ``fetch`` (undici) against the real server: it refuses a response whose headers overflow, which is how
a ``Vary`` header growing with every cached answer was first seen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

NODE = shutil.which("node")
SCRIPT = """
const [base, path, times] = process.argv.slice(1);
const sizes = [];
for (let i = 0; i < Number(times); i++) {
  const response = await fetch(base + path, {headers: {accept: "text/html, */*;q=0.1", origin: "http://127.0.0.1:9"}});
  await response.arrayBuffer();
  let size = 0;
  for (const [name, value] of response.headers) size += name.length + value.length;
  sizes.push([response.status, size, response.headers.get("vary")]);
}
console.log(JSON.stringify(sizes));
"""

if NODE is None and os.environ.get("CLUSTERGRAPH_REQUIRE_NODE") == "1":
    raise RuntimeError("CLUSTERGRAPH_REQUIRE_NODE=1 but Node.js is not installed (apt-get install nodejs)")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (apt-get install nodejs)")


@pytest.mark.parametrize("path", ["/id/afil", "/sparql?query=ASK%7B%7D", "/static/style.css"])
def test_node_fetch_sees_the_same_headers_every_time(live_server, path: str) -> None:
    done = subprocess.run([NODE, "--input-type=module", "-e", SCRIPT, live_server.url, path, "150"],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    assert len(answers) == 150
    assert {status for status, _, _ in answers} == {200}
    assert len({(size, vary) for _, size, vary in answers}) == 1, answers[:3] + answers[-3:]
