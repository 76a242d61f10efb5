"""Prompt templates kept as files, rendered with `string.Template` (`$name`).

`string.Template` only substitutes names — no attribute access or expressions — so a
template cannot reach into Python objects. A user can point `prompts_dir` at a folder
with files of the same names to override any template. A variable the template uses but
the caller did not give is a clear error naming the template and the variable.
Leaves out chat-template rendering (the model backend does that).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

from ragkit.errors import ConfigError


class PromptTemplates:
    def __init__(self, override_dir: Path | None = None) -> None:
        self.override_dir = override_dir

    def where(self, name: str) -> str:
        """The file template `name` is read from: the override folder's, or ragkit's."""
        if self.override_dir is not None:
            path = self.override_dir / f"{name}.txt"
            if path.is_file():
                return str(path)
        return f"ragkit/models/prompts/{name}.txt"

    def source(self, name: str) -> str:
        if self.override_dir is not None:
            path = self.override_dir / f"{name}.txt"
            if path.is_file():
                return path.read_text(encoding="utf-8")
        try:
            return resources.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"prompt template {name!r} does not exist") from None

    def render(self, name: str, **variables: str) -> str:
        try:
            return Template(self.source(name)).substitute(variables)
        except KeyError as exc:
            raise ConfigError(
                f"prompt template {name!r} ({self.where(name)}) uses ${exc.args[0]}, which is "
                f"not provided; available: {', '.join('$' + v for v in sorted(variables))}"
            ) from None
        except ValueError as exc:
            raise ConfigError(
                f"prompt template {name!r} ({self.where(name)}) is malformed: {exc}"
            ) from None
