"""tribench: is a coding agent's performance optimisation as good as the human expert's?

The public API is small; everything else lives in stage modules (`ingest`, `analyze`,
`report`, `export`, `publish`, ...). Importing `tribench` loads no heavy dependency.
"""

from tribench.constants import SCHEMA_VERSION, Arm, Owner, Status, Verdict
from tribench.errors import UserError

__version__ = "0.1.0"

__all__ = ["SCHEMA_VERSION", "Arm", "Owner", "Status", "UserError", "Verdict", "__version__"]
