"""A snac2 instance for bench/run.sh to measure beside Topi in the same run: started on loopback
with tests/e2e/peers.py's SnacPeer, given POSTS public notes, then described on stdout as one
JSON line (pid, base URL, user, NodeInfo URL). It runs until stdin closes; then it stops snac.
Usage: PYTHONPATH=tests/e2e .venv/bin/python bench/snac_peer.py PORT POSTS"""

import json
import sys

from peers import SnacPeer  # the e2e suite's peer (PYTHONPATH=tests/e2e)

port, posts = int(sys.argv[1]), int(sys.argv[2])
peer = SnacPeer(user="bob", port=port, archive=False, dbglevel=0).start()
try:
    for i in range(posts):
        peer.note(f"status {i} #bench")
    links = peer.http("GET", f"{peer.base_url}/.well-known/nodeinfo").json()["links"]
    nodeinfo = next(link["href"] for link in links if link["rel"].endswith("/2.0"))
    print(json.dumps({"pid": peer.process.pid, "base_url": peer.base_url, "user": peer.user,
                      "host": peer.host, "nodeinfo": nodeinfo}), flush=True)
    sys.stdin.read()
finally:
    peer.stop()
