"""Generates a folder of hostile and unlucky inputs next to good files.

Used by test_hostile_inputs.py (one real `ragkit index` run over it) and by hand:
`python tests/hostile_corpus.py DIR` writes the corpus to DIR. Every input
is generated; nothing is downloaded.

Bad: a DOCX zip bomb (a part that inflates 1,000x past a 1 MB floor), a DOCX of
300,000 tiny paragraphs (a scaled-down "64 MB of paragraphs"), HTML nested 100,000
`<div>`s deep, a JSON-lines file whose one line nests 100,000 `[`, a symbolic-link
loop, a dangling link, a FIFO named .txt, a .txt link to /dev/zero, and an unreadable
sub-folder (as root, where permissions do not bind, a link to a folder the kernel
refuses to list even to root, when there is one: /proc/1/map_files in a container).
Good: English and Chinese text, a GB18030 page that wrongly declares iso-8859-1, a small
DOCX, the JSON-lines file's other lines, a file whose name is not UTF-8, and a file
sorted after the unreadable folder.
"""

from __future__ import annotations

import io
import os
import random
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)

GB_TEXT = "向量数据库用于存储嵌入向量，并支持近似最近邻检索。大熊猫生活在四川的竹林里。"
NON_UTF8_NAME = b"caf\xe9-notes.txt"


@dataclass
class Corpus:
    root: Path
    # (name relative to root as the report shows it, status, reason fragment)
    bad: list[tuple[str, str, str]] = field(default_factory=list)
    good: list[str] = field(default_factory=list)


def docx_bytes(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return _docx_from_xml(
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}">'
        f"<w:body>{body}</w:body></w:document>"
    )


def _docx_from_xml(document: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", document)
    return buf.getvalue()


def zip_bomb_docx(inflated: int = 512 * 1024 * 1024) -> bytes:
    """A .docx whose document.xml inflates to `inflated` bytes of one repeated paragraph
    (a few hundred KB on disk), written in blocks so making it needs little memory."""
    buf = io.BytesIO()
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'
    tail = "</w:body></w:document>"
    para = b"<w:p><w:r><w:t>boom</w:t></w:r></w:p>" * 4096
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(head.encode())
            written = 0
            while written < inflated:
                part.write(para)
                written += len(para)
            part.write(tail.encode())
    return buf.getvalue()


def many_paragraphs_docx(count: int = 300_000, seed: int = 7) -> bytes:
    """`count` tiny paragraphs of varied words: compresses only ~5x, so the ratio check
    lets it through and the paragraph cap has to catch it."""
    rng = random.Random(seed)
    words = [f"w{n:05d}" for n in range(50_000)]
    return docx_bytes([" ".join(rng.choices(words, k=2)) for _ in range(count)])


_ROOT_UNLISTABLE = "/proc/1/map_files"


def _root_cannot_list(folder: str) -> bool:
    try:
        os.listdir(folder)
    except PermissionError:
        return True
    except OSError:
        return False
    return False


def make(
    root: Path, unreadable_folder: bool | None = None, bomb_bytes: int = 512 * 1024 * 1024
) -> Corpus:
    """Write the corpus under `root` (created); return what each entry should yield."""
    root.mkdir(parents=True, exist_ok=True)
    c = Corpus(root)

    def bad(name: str, status: str, reason: str) -> None:
        c.bad.append((name, status, reason))

    # --- good files
    (root / "english.txt").write_text(
        "Photosynthesis is the process by which green plants use sunlight, water and "
        "carbon dioxide to make glucose and release oxygen.\n",
        encoding="utf-8",
    )
    c.good.append("english.txt")
    (root / "notes.md").write_text(
        "# 大熊猫\n\n大熊猫是中国特有的哺乳动物，主要生活在四川的竹林里，以竹子为食。\n",
        encoding="utf-8",
    )
    c.good.append("notes.md")
    page = (
        '<html><head><meta charset="iso-8859-1"><title>检索</title></head>'
        f"<body><p>{GB_TEXT}</p></body></html>"
    ).encode("gb18030")
    (root / "mislabelled-gb18030.html").write_bytes(page)
    c.good.append("mislabelled-gb18030.html")
    (root / "report.docx").write_bytes(
        docx_bytes(["Quarterly report", "Revenue grew in the third quarter."])
    )
    c.good.append("report.docx")
    lines = [
        b'{"_id": "a", "text": "Glaciers are slow rivers of ice."}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"_id": "b", "text": "Volcanoes vent molten rock called magma."}',
    ]
    (root / "lines.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    c.good.append("lines.jsonl")
    (root / os.fsdecode(NON_UTF8_NAME)).write_text(
        "A file whose name is Latin-1, not UTF-8: the crema on an espresso.\n",
        encoding="utf-8",
    )
    c.good.append(os.fsencode(NON_UTF8_NAME).decode("utf-8", "backslashreplace"))

    # --- bad files
    (root / "bomb.docx").write_bytes(zip_bomb_docx(bomb_bytes))
    bad("bomb.docx", "failed", "zip bomb")
    (root / "paragraphs.docx").write_bytes(many_paragraphs_docx())
    bad("paragraphs.docx", "failed", "paragraphs, over the limit")
    depth = 100_000
    (root / "deep.html").write_bytes(
        b"<html><body>" + b"<div>" * depth + b"deep" + b"</div>" * depth + b"</body></html>"
    )
    bad("deep.html", "failed", "levels deep")
    os.symlink("loop.txt", root / "loop.txt")
    bad("loop.txt", "failed", "symbolic link loop")
    os.symlink("nowhere.txt", root / "dangling.txt")
    bad("dangling.txt", "failed", "symbolic link to nothing")
    os.mkfifo(root / "pipe.txt")
    bad("pipe.txt", "skipped", "named pipe")
    os.symlink("/dev/zero", root / "zero.txt")
    bad("zero.txt", "skipped", "device")
    (root / "sub").mkdir()
    os.symlink("..", root / "sub" / "up")  # a folder link back up the tree: walked once

    if unreadable_folder is None:
        unreadable_folder = True
    if unreadable_folder and os.geteuid() != 0:
        locked = root / "m-locked"
        locked.mkdir()
        (locked / "secret.txt").write_text("hidden\n", encoding="utf-8")
        locked.chmod(0)
        bad("m-locked", "failed", "cannot list the folder")
    elif unreadable_folder and _root_cannot_list(_ROOT_UNLISTABLE):
        # Permissions do not bind root; a folder the kernel refuses even to root (in a
        # container without CAP_SYS_ADMIN) stands in, reached through a link.
        os.symlink(_ROOT_UNLISTABLE, root / "m-locked")
        bad("m-locked", "failed", "cannot list the folder")
    (root / "z-after.txt").write_text(
        "Files sorted after an unreadable folder are still indexed: tides follow the moon.\n",
        encoding="utf-8",
    )
    c.good.append("z-after.txt")
    return c


if __name__ == "__main__":
    made = make(Path(sys.argv[1]))
    print(f"{len(made.good)} good, {len(made.bad)} bad entries under {made.root}")
