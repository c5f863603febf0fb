"""Start the web app on the configured data folder (indexing what changed first)."""

from rag.config import load_settings
from rag.web import serve

if __name__ == "__main__":
    serve(load_settings())
