"""Start the web app on the configured data folder (indexing what changed first)."""

from rag.app.serve import serve
from rag.config import load_settings

if __name__ == "__main__":
    serve(load_settings())
