"""Configuration of ``inline::code-interpreter``: the sandbox's limits and where sessions keep their files."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .sandbox import LandlockMode, SandboxLimits


class CodeInterpreterConfig(BaseModel):
    """Limits of each run of the ``code_interpreter`` tool, and its scratch folder."""

    model_config = ConfigDict(extra="forbid")

    wall_time_s: float = Field(default=10.0, gt=0, description="Wall-clock time a run may take.")
    cpu_time_s: int = Field(default=10, gt=0, description="CPU seconds a run may use.")
    memory_mb: int = Field(default=512, gt=0, description="Address-space limit of the child, in MiB.")
    file_size_mb: int = Field(default=16, gt=0, description="Largest file the code may write, in MiB.")
    max_processes: int = Field(default=32, gt=0, description="Processes a run may have (fork bombs).")
    max_output_bytes: int = Field(
        default=64 * 1024, gt=0, description="stdout and stderr each; truncated beyond."
    )
    max_files: int = Field(default=50, ge=0, description="Produced files reported per run.")
    landlock: LandlockMode = Field(
        default="auto",
        description=(
            "Kernel-enforced confinement of each run (Linux 5.13+): files outside the session's scratch "
            "folder, the import paths and the shared libraries are out of reach, TCP is refused, nothing "
            "can be executed. `auto`: use it where the kernel has it, else log a warning and rely on the "
            "uid and the audit hook; `required`: fail startup without it; `off`: never use it."
        ),
    )
    scratch_dir: str | None = Field(
        default=None,
        description=(
            "Folder holding one scratch folder per session; unset: `sessions` in the provider's state "
            "folder, or, when the server runs as root and that folder is private, a fresh folder in the "
            "system temp dir per start. A folder set here must be traversable by other users (o+x on every "
            "ancestor) when the server runs as root."
        ),
    )

    def limits(self) -> SandboxLimits:
        return SandboxLimits(
            wall_time_s=self.wall_time_s,
            cpu_time_s=self.cpu_time_s,
            memory_bytes=self.memory_mb * 1024 * 1024,
            file_size_bytes=self.file_size_mb * 1024 * 1024,
            max_processes=self.max_processes,
            max_output_bytes=self.max_output_bytes,
            max_files=self.max_files,
        )
