"""The web console at `/`: pages that call the HTTP API from the browser with the tenant's token."""

from mantis.console.routes import install

__all__ = ["install"]
