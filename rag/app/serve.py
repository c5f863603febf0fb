"""Starting the web app: serving within seconds, whatever the index has to catch up on.

Gradio is the slowest import of the app (seconds on two cores), so it loads in a second
thread while the committed index opens. The page is served at once on the committed index;
the start-up check (indexing what changed in the data folder, everything on a first start)
runs in the background and every open page shows its progress, then the models warm up so the
first question does not pay for loading them. Off loopback the app needs a login
(`rag.app.auth`), and with `--watch` new day files are indexed as they land.
"""

from __future__ import annotations

import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module

from rag.app.auth import check_binding, login
from rag.app.feeds import feed_routes
from rag.app.reindexing import Reindexer
from rag.config import Settings
from rag.index.reader import get_index

log = logging.getLogger(__name__)


def serve(settings: Settings, watch: bool = False, insecure_no_auth: bool = False) -> None:
    """Serve the app on settings.host:settings.port until interrupted."""
    check = login(settings)
    check_binding("the app", settings.host, check is not None, insecure_no_auth, "a login",
                  "set RAG_AUTH_FILE (lines from `rag passwd USER`) or RAG_APP_TOKEN")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up requests
    with ThreadPoolExecutor(1, thread_name_prefix="import") as pool:
        web = pool.submit(import_module, "rag.app.web")
        index = get_index(settings, build_if_empty=False)
        reindexer = Reindexer(settings, index)
        if index.unavailable:
            print(f"Warning: {index.unavailable}; starting without it.", file=sys.stderr, flush=True)
        app = web.result().build_app(settings, index, reindexer)

    def start_up() -> None:
        reindexer.catch_up()
        index.warm_up()
        if watch:
            from rag.app.watch import start_watching

            start_watching(settings, on_report=reindexer.record)

    threading.Thread(target=start_up, name="start-up", daemon=True).start()
    web.result().launch(app, settings, auth=check, auth_message="Digest RAG" if check else None,
                        app_kwargs={"routes": feed_routes(settings)})
