"""``client.walk``: a traversal streamed page by page, equal to the whole answer."""

from __future__ import annotations

import pytest

from provgraph.errors import BadInput
from provgraph.sdk import Client


def test_walk_streams_every_hop_in_pages(client: Client) -> None:
    chain = [client.register_model("m")]
    for _ in range(11):
        chain.append(client.register_model("m", parents=[chain[-1].id, chain[0].id]))
    up = [(h.depth, h.node.id) for h in client.walk(chain[-1].id, "up", page=3)]
    assert up == [(h.depth, h.node.id) for h in client.ancestors(chain[-1].id)]
    assert [node for _, node in up] == [chain[0].id, chain[-2].id] + [m.id for m in chain[-3:0:-1]]
    down = [(h.depth, h.node.id) for h in client.walk(chain[0].id, "downstream", page=4, max_depth=1)]
    assert down == [(1, m.id) for m in sorted(chain[1:], key=lambda m: m.id)]
    with pytest.raises(BadInput, match="walk goes 'up' or 'down', not 'both'"):
        next(client.walk(chain[0].id, "both"))
