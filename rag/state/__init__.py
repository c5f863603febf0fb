"""User state: follows, feedback and saved conversations, in one SQLite file under the state
folder (`Settings.state_path`). Kept apart from the index: the index can be deleted and rebuilt
from the day files, this cannot."""
