"""matchgate: answer inter-agency taxpayer address requests only where the law allows it
and only when the person is certainly the right one, and account for every disclosure."""

from matchgate.decisions import Outcome, Reason
from matchgate.errors import MatchgateError

__all__ = ["MatchgateError", "Outcome", "Reason", "__version__"]

__version__ = "0.1.0"
