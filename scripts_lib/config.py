"""The ``scripts:`` section of config.yaml (config-v1): where the 话术库 and knowledge base live, and how hints
are cut.

Paths default to the files shipped inside the package (found next to this module, so wherever the process
runs); a path given in config.yaml must name an existing file, refused at start-up with the key named.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.durations import Duration
from scripts_lib.matcher import DEFAULT_MIN_SCORE


class ScriptsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    library: Path | None = None  # None = scripts_lib/library.yaml as shipped
    knowledge: Path | None = None  # None = scripts_lib/knowledge.yaml as shipped
    max_suggestions: int = Field(default=3, ge=1, le=10)
    min_score: float = Field(default=DEFAULT_MIN_SCORE, ge=0.0, le=1.0)  # below it: no hint at all
    reload_check: Duration = 2.0  # how often the gateway asks LibraryWatcher whether a file changed

    @field_validator("library", "knowledge")
    @classmethod
    def _existing_file(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"{path} is not a readable file")
        return path
