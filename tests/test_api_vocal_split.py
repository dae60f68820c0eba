"""The lead/backing option on the web API: offered (GET /health) only where
the server can honour it, refused with a reason where it cannot, never
silently ignored."""

from __future__ import annotations

import json

import pytest
from api_helpers import open_api


@pytest.mark.parametrize("overrides,method", [
    (dict(stem_backend="modal"), "karaoke model"),
    (dict(stem_backend="local", local_vocal_split=True), "offline split"),
    (dict(stem_backend="local", local_vocal_split=False), None),
])
def test_the_split_is_offered_only_where_the_server_can_run_it(tmp_path, overrides, method):
    with open_api("app", tmp_path, **overrides) as api:
        offer = api.client.get("/health").json()["vocal_split"]
        assert offer["available"] is (method is not None)
        assert offer["method"] == method
        asked = api.post(options=json.dumps({"vocal_sub_separation": True}))
        if method is None:
            assert "LOCAL_VOCAL_SPLIT" in offer["why_not"]
            assert asked.status_code == 422
            assert "cannot split lead and backing" in asked.json()["detail"]
            assert api.remix_dirs() == set()
        else:
            assert offer["why_not"] is None
            assert asked.status_code == 202
        # without the option every server takes the remix
        assert api.post(options=json.dumps({"vocal_sub_separation": False})).status_code == 202
